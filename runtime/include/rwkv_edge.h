/* rwkv-edge runtime: C API.
 *
 * The caller owns all memory: the model bytes (a file read or mapped, or
 * flash) and one arena. rwkv_edge_init() verifies the model once, carves the
 * arena and binds everything; afterwards no call allocates. The session
 * object itself lives inside the arena.
 *
 *   size_t need; rwkv_edge_arena_size_required(model, len, &need);
 *   void *arena = aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, need);
 *   rwkv_edge_session *s; rwkv_edge_init(model, len, arena, need, NULL, &s);
 *   const float *logits; rwkv_edge_step(s, token, &logits);
 *   rwkv_edge_release(s); free(arena);
 */
#ifndef RWKV_EDGE_H
#define RWKV_EDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RWKV_EDGE_ARENA_ALIGNMENT 64
#define RWKV_EDGE_STATUS_MESSAGE_BYTES 192
/* The most threads one session may run (its pool lives inside the arena). */
#define RWKV_EDGE_MAX_THREADS 64

typedef enum rwkv_edge_code {
  RWKV_EDGE_OK = 0,
  RWKV_EDGE_INVALID_ARGUMENT = 1,  /* null pointer, bad option */
  RWKV_EDGE_BAD_MODEL = 2,         /* the model bytes failed verification */
  RWKV_EDGE_ARENA_TOO_SMALL = 3,
  RWKV_EDGE_ARENA_MISALIGNED = 4,
  RWKV_EDGE_TOKEN_OUT_OF_RANGE = 5,
  RWKV_EDGE_STATE_SIZE_MISMATCH = 6,
  RWKV_EDGE_BACKEND_ERROR = 7,     /* a kernel library or the CUDA driver refused (at init, or mid-step on a GPU) */
  RWKV_EDGE_UNSUPPORTED = 8,       /* valid file, feature not in this build */
  RWKV_EDGE_BAD_STATE = 9          /* a state file that is corrupt, truncated or from another model */
} rwkv_edge_code;

/* Returned by value: the message is specific ("tensor 'head.weight' ends past
 * the weight area") and needs no allocation. */
typedef struct rwkv_edge_status {
  rwkv_edge_code code;
  char message[RWKV_EDGE_STATUS_MESSAGE_BYTES];
} rwkv_edge_status;

/* Which CPU kernels run the mat-vecs. AUTO picks the best the CPU has; a
 * forced path the CPU lacks makes init fail with RWKV_EDGE_UNSUPPORTED. */
typedef enum rwkv_edge_kernels {
  RWKV_EDGE_KERNELS_AUTO = 0,
  RWKV_EDGE_KERNELS_SCALAR = 1, /* portable reference kernels */
  RWKV_EDGE_KERNELS_AVX2 = 2,   /* x86-64 with AVX2, FMA and F16C */
  RWKV_EDGE_KERNELS_NEON = 3    /* aarch64 */
} rwkv_edge_kernels;

/* Where a session's steps run. CUDA: the weights, activations and state
 * live in one device allocation made at init; a step replays a CUDA graph
 * and its logits land in the arena like the CPU's. */
typedef enum rwkv_edge_backend {
  RWKV_EDGE_BACKEND_CPU = 0,
  RWKV_EDGE_BACKEND_CUDA = 1
} rwkv_edge_backend;

/* What prefill's matrix products multiply. FLOAT: the weights, dequantized,
 * times the float activations, as a step does: a chunk's logits equal the
 * steps' within 1e-4. INT8: int8 matrices take their inputs rounded to 7-bit
 * integers per token and multiply in integers, about twice as fast on AVX2;
 * the logits then differ from the steps' by that rounding (docs/numerics.md,
 * "Prefill with int8 inputs"). Other weight formats are not affected, nor
 * kernel paths without an integer kernel (AVX2 has one, and NEON on CPUs
 * with the ARMv8.2 dot product; the scalar path keeps floats):
 * rwkv_edge_info.n_prefill_int8_ops says what took effect. */
typedef enum rwkv_edge_prefill_inputs {
  RWKV_EDGE_PREFILL_INPUTS_FLOAT = 0,
  RWKV_EDGE_PREFILL_INPUTS_INT8 = 1
} rwkv_edge_prefill_inputs;

typedef struct rwkv_edge_options {
  uint32_t struct_size;        /* sizeof(rwkv_edge_options), for ABI growth */
  uint32_t n_threads;          /* threads init starts for this session, 1..RWKV_EDGE_MAX_THREADS;
                                  0: one (the caller's thread, no workers) */
  uint32_t kernels;            /* rwkv_edge_kernels */
  uint32_t verify_weights;     /* 1: check the weight CRC32 at init (one pass over the weights) */
  uint32_t use_onednn;         /* 0 (default): reference kernels; 1: oneDNN mat-vecs for large matrices
                                  (oneDNN 2.6 allocates on every execute, which breaks the no-heap promise) */
  uint32_t backend;            /* rwkv_edge_backend; CUDA needs a build with RWKV_EDGE_CUDA and a device */
  uint32_t cuda_device;        /* CUDA device ordinal */
  void *cuda_buffer;           /* optional: device memory the session uses instead of allocating its own,
                                  at least rwkv_edge_cuda_bytes_required() bytes, 256-byte aligned;
                                  the caller frees it after rwkv_edge_release() */
  uint64_t cuda_buffer_bytes;
  uint32_t prefill_inputs;     /* rwkv_edge_prefill_inputs; default FLOAT */
} rwkv_edge_options;

typedef struct rwkv_edge_session rwkv_edge_session;

typedef struct rwkv_edge_info {
  uint32_t rwkv_version;       /* rwkv_edge_version_* below */
  uint32_t n_layer, n_embd, n_head, head_size, n_ffn, vocab_size;
  uint64_t model_bytes;        /* the whole file */
  uint64_t weight_bytes;
  uint64_t arena_bytes;        /* what rwkv_edge_arena_size_required() returns */
  uint64_t state_bytes;
  uint32_t n_ops;
  uint32_t n_onednn_ops;       /* ops bound to oneDNN primitives */
  uint32_t n_threads;          /* threads a step runs on, the caller's included */
  uint32_t kernels;            /* the rwkv_edge_kernels path in use (never AUTO) */
  uint64_t step_weight_bytes;  /* weight bytes one step reads: every mat-vec matrix, one embedding row */
  uint32_t backend;            /* rwkv_edge_backend the steps run on */
  uint64_t device_bytes;       /* CUDA: the one device allocation (weights, activations, state); else 0 */
  uint32_t prefill_inputs;     /* rwkv_edge_prefill_inputs prefill uses */
  uint32_t n_prefill_int8_ops; /* INT8: the products that run on integers (int8 matrices) */
} rwkv_edge_info;

enum { rwkv_edge_version_4 = 40, rwkv_edge_version_5 = 50, rwkv_edge_version_5_1 = 51,
       rwkv_edge_version_5_2 = 52, rwkv_edge_version_6 = 60, rwkv_edge_version_7 = 70 };

void rwkv_edge_default_options(rwkv_edge_options *options);

/* Verifies the model header and flatbuffer (not the weights) and reports the
 * exact arena size init needs. */
rwkv_edge_status rwkv_edge_arena_size_required(const void *model, size_t model_bytes,
                                               size_t *arena_bytes);

/* Device bytes a CUDA session of this model needs (weights, planned arena,
 * token slot): the size of its one device allocation, or of the caller's
 * options.cuda_buffer. Needs no GPU. */
rwkv_edge_status rwkv_edge_cuda_bytes_required(const void *model, size_t model_bytes, size_t *bytes);

/* arena must be RWKV_EDGE_ARENA_ALIGNMENT-aligned and at least
 * rwkv_edge_arena_size_required() bytes. The model bytes must outlive the
 * session and stay unchanged. On success the state is reset. */
rwkv_edge_status rwkv_edge_init(const void *model, size_t model_bytes, void *arena,
                                size_t arena_bytes, const rwkv_edge_options *options,
                                rwkv_edge_session **session);

/* Feeds one token; *logits points into the arena (vocab_size floats) and
 * stays valid until the next step. */
rwkv_edge_status rwkv_edge_step(rwkv_edge_session *session, uint32_t token,
                                const float **logits);

/* Feeds n_tokens tokens as one sequence ("GPT mode"): chunks of at most
 * rwkv_edge_max_chunk() tokens run their mat-vecs as matrix products, which
 * read the weights once per chunk. The state ends as after n_tokens steps;
 * *logits (may be NULL) are those after the last token, valid until the
 * next call. Every id is checked before anything runs: on error the state
 * is unchanged. A model planned without sequence mode (max chunk 0) runs a
 * step per token. */
rwkv_edge_status rwkv_edge_prefill(rwkv_edge_session *session, const uint32_t *tokens, size_t n_tokens,
                                   const float **logits);
/* The same, and every token's logits go to `each` (index 0 .. n_tokens-1,
 * in order; the pointer is valid during the call only). Slower than
 * rwkv_edge_prefill: the head runs once per token. */
typedef void (*rwkv_edge_logits_fn)(void *ctx, size_t index, const float *logits);
rwkv_edge_status rwkv_edge_prefill_each(rwkv_edge_session *session, const uint32_t *tokens, size_t n_tokens,
                                        rwkv_edge_logits_fn each, void *ctx);
/* The most tokens one prefill chunk holds (plan --max-chunk); 0: none. */
uint32_t rwkv_edge_max_chunk(const rwkv_edge_session *session);

void rwkv_edge_get_info(const rwkv_edge_session *session, rwkv_edge_info *info);

size_t rwkv_edge_state_bytes(const rwkv_edge_session *session);
void rwkv_edge_state_reset(rwkv_edge_session *session);
rwkv_edge_status rwkv_edge_state_save(const rwkv_edge_session *session, void *dst,
                                      size_t dst_bytes);
rwkv_edge_status rwkv_edge_state_restore(rwkv_edge_session *session, const void *src,
                                         size_t src_bytes);

/* State files: the state with a 64-byte header (magic "RWKVSTAT", format,
 * RWKV version, layers, n_embd, heads, head size, a fingerprint of the
 * model's weights and state layout, state bytes) and a trailing CRC32
 * (docs/format.md). Export writes exactly rwkv_edge_state_file_bytes();
 * import checks everything (RWKV_EDGE_BAD_STATE: corrupt, truncated or from
 * another model) before it touches the state, which is unchanged on error. */
#define RWKV_EDGE_STATE_MAGIC "RWKVSTAT" /* a state file's first 8 bytes */
size_t rwkv_edge_state_file_bytes(const rwkv_edge_session *session);
rwkv_edge_status rwkv_edge_state_export(const rwkv_edge_session *session, void *dst, size_t dst_bytes);
rwkv_edge_status rwkv_edge_state_import(rwkv_edge_session *session, const void *src, size_t src_bytes);

/* ---- Tokenizer: greedy longest match over bytes (the official RWKV World
 * tokenizer), on the vocabulary the planner embedded in the model file.
 * Read-only views into the model bytes; nothing here allocates. */
typedef struct rwkv_edge_tokenizer {
  uint32_t vocab_size;
  uint32_t max_token_bytes;
  uint32_t n_sorted;               /* entries of sorted_ids */
  uint32_t reserved;
  const uint8_t *token_bytes;      /* every token's bytes, in id order */
  uint64_t token_bytes_size;
  const uint32_t *token_offsets;   /* vocab_size + 1 */
  const uint32_t *sorted_ids;      /* distinct non-empty tokens, by bytes */
} rwkv_edge_tokenizer;

/* Verifies the model description (not the weights) and points *tokenizer
 * at its vocabulary. RWKV_EDGE_UNSUPPORTED: the file carries none. */
rwkv_edge_status rwkv_edge_tokenizer_from_model(const void *model, size_t model_bytes,
                                                rwkv_edge_tokenizer *tokenizer);
/* Checks a tokenizer whose arrays the caller filled in (every rule the
 * functions below rely on: offsets in range and ordered, sorted_ids sorted). */
rwkv_edge_status rwkv_edge_tokenizer_check(const rwkv_edge_tokenizer *tokenizer);

/* Tokenizes text[0, text_bytes) (any bytes, not only UTF-8) into at most
 * `capacity` ids. *text_consumed says how far it got: it stops early only
 * when `tokens` is full, always at a token boundary, so tokenizing the rest
 * in a second call gives the ids one call with room would have. */
rwkv_edge_status rwkv_edge_tokenize(const rwkv_edge_tokenizer *tokenizer, const void *text,
                                    size_t text_bytes, uint32_t *tokens, size_t capacity,
                                    size_t *n_tokens, size_t *text_consumed);
/* The bytes of one token (a view into the model; empty for World's id 0). */
rwkv_edge_status rwkv_edge_token_bytes(const rwkv_edge_tokenizer *tokenizer, uint32_t token,
                                       const uint8_t **bytes, size_t *n_bytes);
/* How many leading bytes of text can be shown now: all but a trailing UTF-8
 * sequence that is valid so far and still missing bytes. Invalid bytes are
 * never held back (output stays byte-exact). */
size_t rwkv_edge_utf8_complete_prefix(const void *text, size_t text_bytes);

/* ---- Sampler: the official pipeline's sample_logits with presence and
 * frequency penalties (rwkv.utils.PIPELINE), on caller-provided memory. */
typedef struct rwkv_edge_sampler_params {
  float temperature;        /* >= 0; 0: greedy (the official temperature 0: top_p 0) */
  float top_p;              /* [0, 1]: keep the tokens whose probability is at least the one that
                               brings the descending cumulative sum to top_p */
  uint32_t top_k;           /* 0: off; else keep at most this many */
  float presence_penalty;   /* subtracted from every token seen so far, >= 0 */
  float frequency_penalty;  /* times the token's decayed count, >= 0 */
  float penalty_decay;      /* counts are multiplied by this after every token, [0, 1]; official 0.996 */
  uint32_t free_whitespace_digits; /* 1: tokens that decode to a run of " \t0123456789" add 0 to their
                                      count (PIPELINE.generate); 0: every token adds 1 (the chat loop) */
  uint64_t seed;            /* same seed, same logits: same tokens */
} rwkv_edge_sampler_params;

typedef struct rwkv_edge_sampler rwkv_edge_sampler;

/* temperature 1, top_p 0.85, top_k 0, penalties 0.2 / 0.2, decay 0.996, free whitespace/digits, seed 0
 * (PIPELINE_ARGS' defaults). */
void rwkv_edge_sampler_default_params(rwkv_edge_sampler_params *params);
/* Bytes of memory a sampler for this vocabulary needs (aligned to RWKV_EDGE_ARENA_ALIGNMENT). */
size_t rwkv_edge_sampler_memory_bytes(uint32_t vocab_size);
/* `tokenizer` may be NULL when free_whitespace_digits is 0. The sampler lives in `memory`. */
rwkv_edge_status rwkv_edge_sampler_init(const rwkv_edge_sampler_params *params, uint32_t vocab_size,
                                        const rwkv_edge_tokenizer *tokenizer, void *memory,
                                        size_t memory_bytes, rwkv_edge_sampler **sampler);
/* The token is never sampled again (its logit becomes -inf). */
rwkv_edge_status rwkv_edge_sampler_ban(rwkv_edge_sampler *sampler, uint32_t token);
/* Forgets the penalty counts (a new reply); bans and the random stream stay. */
void rwkv_edge_sampler_reset_penalties(rwkv_edge_sampler *sampler);
/* Draws the next token from logits[vocab_size] (left unchanged) and counts it for the penalties. */
rwkv_edge_status rwkv_edge_sampler_sample(rwkv_edge_sampler *sampler, const float *logits, uint32_t *token);
/* The distribution sample() would draw from, probs[vocab_size] (zeros for dropped tokens);
 * changes nothing. */
rwkv_edge_status rwkv_edge_sampler_probabilities(rwkv_edge_sampler *sampler, const float *logits, float *probs);

/* Name of a rwkv_edge_kernels value ("avx2"), or "unknown". */
const char *rwkv_edge_kernels_name(uint32_t kernels);

/* Releases what init created outside the arena (worker threads, oneDNN primitives). The
 * arena may be freed afterwards. Safe on NULL. */
void rwkv_edge_release(rwkv_edge_session *session);

const char *rwkv_edge_code_name(rwkv_edge_code code);

#ifdef __cplusplus
}
#endif

#endif /* RWKV_EDGE_H */
