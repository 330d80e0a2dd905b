// The official pipeline's sampling (rwkv 0.8.32 utils.py: PIPELINE.generate
// and sample_logits), with every buffer in caller memory:
//   logits -> banned to -inf -> minus presence + count x frequency for every
//   token seen -> softmax -> keep p >= the probability at which the
//   descending cumulative sum reaches top_p -> at most top_k -> p^(1/T) ->
//   normalise -> draw. After a draw every count decays, then the drawn
//   token's count grows by 1 (0 for whitespace/digit tokens in generate mode).
// Deviations, on purpose: when float rounding keeps the cumulative sum below
// top_p (top_p = 1), every token is kept (the official code then keeps only
// the most likely one); ties at the top-k boundary go to the lower id; the
// random stream is our own (xoshiro256**), so seeds do not carry over from numpy.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <new>

#include "model_file.h"
#include "rwkv_edge.h"
#include "status.h"

struct rwkv_edge_sampler {
  rwkv_edge_sampler_params params;
  uint32_t vocab;
  uint64_t rng[4];
  float* counts;            // decayed occurrence counts
  uint8_t* seen;            // the token has occurred (it pays the presence penalty even at count 0)
  uint8_t* banned;
  uint8_t* free_token;      // adds 0 to its count
  float* probs;
  uint32_t* order;          // ids, partially sorted by probability
  uint32_t* kept;
};

namespace rwkv_edge {
namespace {

constexpr size_t kAlign = RWKV_EDGE_ARENA_ALIGNMENT;
size_t aligned(size_t n) { return align_up(n, kAlign); }

uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// ids[0..n) (ascending on entry) reordered by p descending, ties by id
// ascending: an LSD radix sort on the float bits, which order non-negative
// floats as their values; stable, so equal values keep their id order.
// `tmp` holds n ids.
void sort_descending(const float* p, uint32_t* ids, uint32_t* tmp, uint32_t n) {
  uint32_t* from = ids;
  uint32_t* to = tmp;
  for (int shift = 0; shift < 32; shift += 8) {  // four passes: the result ends in `ids`
    uint32_t count[257] = {};
    for (uint32_t i = 0; i < n; ++i) ++count[((~std::bit_cast<uint32_t>(p[from[i]])) >> shift & 0xFF) + 1];
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (uint32_t i = 0; i < n; ++i) to[count[(~std::bit_cast<uint32_t>(p[from[i]])) >> shift & 0xFF]++] = from[i];
    std::swap(from, to);
  }
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256**: small, fast, and the same stream on every platform.
double next_uniform(uint64_t s[4]) {
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return static_cast<double>(result >> 11) * 0x1.0p-53;
}

Status check_params(const rwkv_edge_sampler_params& p) {
  auto bad = [](const char* what, double v) {
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: %s (got %g)", what, v);
  };
  if (!(p.temperature >= 0.0f && p.temperature <= 100.0f)) return bad("temperature must be in [0, 100]", p.temperature);
  if (!(p.top_p >= 0.0f && p.top_p <= 1.0f)) return bad("top_p must be in [0, 1]", p.top_p);
  if (!(p.presence_penalty >= 0.0f && std::isfinite(p.presence_penalty)))
    return bad("presence penalty must be a finite number >= 0", p.presence_penalty);
  if (!(p.frequency_penalty >= 0.0f && std::isfinite(p.frequency_penalty)))
    return bad("frequency penalty must be a finite number >= 0", p.frequency_penalty);
  if (!(p.penalty_decay >= 0.0f && p.penalty_decay <= 1.0f)) return bad("penalty decay must be in [0, 1]", p.penalty_decay);
  return ok_status();
}

// A token that decodes to a substring of " \t0123456789" (the official
// `ttt in ' \t0123456789'`, the empty token included).
bool whitespace_or_digits(const uint8_t* bytes, size_t n) {
  static const char kRun[] = " \t0123456789";
  if (n == 0) return true;
  for (size_t start = 0; start + n <= sizeof kRun - 1; ++start)
    if (std::memcmp(kRun + start, bytes, n) == 0) return true;
  return false;
}

// Fills s->probs with the distribution to draw from and s->kept with the ids
// whose probability is not zero (in id order unless top-k reordered them);
// returns how many.
uint32_t distribution(rwkv_edge_sampler* s, const float* logits) {
  const uint32_t V = s->vocab;
  float* p = s->probs;
  float top = -INFINITY;
  for (uint32_t i = 0; i < V; ++i) {
    float l = s->banned[i] ? -INFINITY : logits[i];
    if (s->seen[i]) l -= s->params.presence_penalty + s->counts[i] * s->params.frequency_penalty;
    p[i] = l;
    top = std::max(top, l);
  }
  if (!(top > -INFINITY)) return 0;  // everything banned, or NaN logits
  double sum = 0.0;
  for (uint32_t i = 0; i < V; ++i) sum += p[i] = std::exp(p[i] - top);
  const float inv = static_cast<float>(1.0 / sum);
  for (uint32_t i = 0; i < V; ++i) p[i] *= inv;

  float temperature = s->params.temperature, top_p = s->params.top_p;
  if (temperature == 0.0f) {
    temperature = 1.0f;
    top_p = 0.0f;
  }
  // The cutoff: walk the probabilities in descending order, summing in
  // float32 as numpy's cumsum does, until the sum reaches top_p. A peaked
  // distribution needs only its head: selected and sorted at 64, then 512
  // tokens. A flat one (a small or untrained model) can need most of the
  // vocabulary in order, which a comparison sort made the slowest part of a
  // token; a radix sort does it in four passes instead.
  auto descending = [p](uint32_t a, uint32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); };
  uint32_t* order = s->order;
  for (uint32_t i = 0; i < V; ++i) order[i] = i;
  float cutoff = 0.0f;
  auto walk = [&](uint32_t head) {
    float cumulative = 0.0f;
    for (uint32_t j = 0; j < head; ++j) {
      cumulative += p[order[j]];
      if (cumulative >= top_p) {
        cutoff = p[order[j]];
        return true;
      }
    }
    return false;
  };
  bool reached = false;
  for (uint32_t head : {64u, 512u}) {
    if (head >= V) break;
    std::nth_element(order, order + head, order + V, descending);
    std::sort(order, order + head, descending);
    if ((reached = walk(head))) break;
  }
  if (!reached) {
    sort_descending(p, order, s->kept, V);
    // Not reached even over everything: rounding kept the sum under top_p, keep all.
    if (!walk(V)) cutoff = 0.0f;
  }
  uint32_t n = 0;
  for (uint32_t i = 0; i < V; ++i)
    if (p[i] > 0.0f && p[i] >= cutoff) s->kept[n++] = i;
  const uint32_t k = s->params.top_k;
  if (k > 0 && k < n) {
    std::nth_element(s->kept, s->kept + k, s->kept + n, descending);
    n = k;
  }
  double total = 0.0;
  for (uint32_t j = 0; j < n; ++j) {
    float& q = p[s->kept[j]];
    if (temperature != 1.0f) q = std::pow(q, 1.0f / temperature);
    total += q;
  }
  if (!(total > 0.0)) return 0;
  const float norm = static_cast<float>(1.0 / total);
  for (uint32_t j = 0; j < n; ++j) p[s->kept[j]] *= norm;
  return n;
}

}  // namespace
}  // namespace rwkv_edge

using namespace rwkv_edge;

extern "C" {

void rwkv_edge_sampler_default_params(rwkv_edge_sampler_params* params) {
  if (params == nullptr) return;
  *params = rwkv_edge_sampler_params{};
  params->temperature = 1.0f;
  params->top_p = 0.85f;
  params->top_k = 0;
  params->presence_penalty = 0.2f;
  params->frequency_penalty = 0.2f;
  params->penalty_decay = 0.996f;
  params->free_whitespace_digits = 1;
  params->seed = 0;
}

size_t rwkv_edge_sampler_memory_bytes(uint32_t vocab_size) {
  const size_t v = vocab_size;
  return aligned(sizeof(rwkv_edge_sampler)) + 4 * aligned(4 * v) + 3 * aligned(v);
}

rwkv_edge_status rwkv_edge_sampler_init(const rwkv_edge_sampler_params* params, uint32_t vocab_size,
                                        const rwkv_edge_tokenizer* tokenizer, void* memory, size_t memory_bytes,
                                        rwkv_edge_sampler** sampler) {
  if (params == nullptr || memory == nullptr || sampler == nullptr)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null argument");
  if (vocab_size == 0) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: vocabulary size 0");
  if (reinterpret_cast<uintptr_t>(memory) % kAlign != 0)
    return make_status(RWKV_EDGE_ARENA_MISALIGNED, "sampler memory must be %zu-byte aligned", kAlign);
  if (memory_bytes < rwkv_edge_sampler_memory_bytes(vocab_size))
    return make_status(RWKV_EDGE_ARENA_TOO_SMALL, "sampler needs %zu bytes, got %zu",
                       rwkv_edge_sampler_memory_bytes(vocab_size), memory_bytes);
  RWKV_EDGE_RETURN_IF_ERROR(check_params(*params));
  if (params->top_k > vocab_size)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: top_k %u is larger than the vocabulary (%u)",
                       params->top_k, vocab_size);
  if (params->free_whitespace_digits != 0) {
    if (tokenizer == nullptr)
      return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: free_whitespace_digits needs the tokenizer");
    if (tokenizer->vocab_size != vocab_size)
      return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: tokenizer has %u tokens, the model %u",
                         tokenizer->vocab_size, vocab_size);
  }
  auto* base = static_cast<uint8_t*>(memory);
  auto* s = new (base) rwkv_edge_sampler{};
  size_t at = aligned(sizeof(rwkv_edge_sampler));
  auto take = [&](size_t bytes) {
    uint8_t* p = base + at;
    at += aligned(bytes);
    return p;
  };
  const size_t v = vocab_size;
  s->params = *params;
  s->vocab = vocab_size;
  s->counts = reinterpret_cast<float*>(take(4 * v));
  s->probs = reinterpret_cast<float*>(take(4 * v));
  s->order = reinterpret_cast<uint32_t*>(take(4 * v));
  s->kept = reinterpret_cast<uint32_t*>(take(4 * v));
  s->seen = take(v);
  s->banned = take(v);
  s->free_token = take(v);
  std::memset(s->banned, 0, v);
  for (uint32_t i = 0; i < vocab_size; ++i) {
    const uint8_t* bytes = nullptr;
    size_t n = 0;
    s->free_token[i] = params->free_whitespace_digits != 0 &&
                       rwkv_edge_token_bytes(tokenizer, i, &bytes, &n).code == RWKV_EDGE_OK &&
                       whitespace_or_digits(bytes, n);
  }
  uint64_t seed = params->seed;
  for (uint64_t& word : s->rng) word = splitmix64(&seed);
  rwkv_edge_sampler_reset_penalties(s);
  *sampler = s;
  return ok_status();
}

rwkv_edge_status rwkv_edge_sampler_ban(rwkv_edge_sampler* sampler, uint32_t token) {
  if (sampler == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null sampler");
  if (token >= sampler->vocab)
    return make_status(RWKV_EDGE_TOKEN_OUT_OF_RANGE, "banned token %u is outside the vocabulary (size %u)", token,
                       sampler->vocab);
  sampler->banned[token] = 1;
  return ok_status();
}

void rwkv_edge_sampler_reset_penalties(rwkv_edge_sampler* sampler) {
  if (sampler == nullptr) return;
  std::memset(sampler->counts, 0, 4 * size_t{sampler->vocab});
  std::memset(sampler->seen, 0, sampler->vocab);
}

rwkv_edge_status rwkv_edge_sampler_probabilities(rwkv_edge_sampler* sampler, const float* logits, float* probs) {
  if (sampler == nullptr || logits == nullptr || probs == nullptr)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null argument");
  const uint32_t n = distribution(sampler, logits);
  if (n == 0) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: no token can be drawn (all banned or NaN logits)");
  std::memset(probs, 0, 4 * size_t{sampler->vocab});
  for (uint32_t j = 0; j < n; ++j) probs[sampler->kept[j]] = sampler->probs[sampler->kept[j]];
  return ok_status();
}

rwkv_edge_status rwkv_edge_sampler_sample(rwkv_edge_sampler* sampler, const float* logits, uint32_t* token) {
  if (sampler == nullptr || logits == nullptr || token == nullptr)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null argument");
  rwkv_edge_sampler* s = sampler;
  const uint32_t n = distribution(s, logits);
  if (n == 0) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "sampler: no token can be drawn (all banned or NaN logits)");
  // Walk the kept ids in ascending order so a seed's draws do not depend on
  // how top-k happened to permute them.
  std::sort(s->kept, s->kept + n);
  const double u = next_uniform(s->rng);
  double cumulative = 0.0;
  uint32_t chosen = s->kept[n - 1];
  for (uint32_t j = 0; j < n; ++j) {
    cumulative += s->probs[s->kept[j]];
    if (u < cumulative) {
      chosen = s->kept[j];
      break;
    }
  }
  const float decay = s->params.penalty_decay;
  for (uint32_t i = 0; i < s->vocab; ++i) s->counts[i] *= decay;
  s->counts[chosen] += s->free_token[chosen] ? 0.0f : 1.0f;
  s->seen[chosen] = 1;
  *token = chosen;
  return ok_status();
}

}  // extern "C"
