#include "vocabulary.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "mapped_file.h"
#include "plan_error.h"

namespace rwkv_edge::planner {
namespace {

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool hex_digits(const std::string& s, size_t at, size_t count, uint32_t* value) {
  if (at + count > s.size()) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = s[at + i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  *value = v;
  return true;
}

// Sorts ids by bytes and keeps one id per distinct byte string: the highest,
// as the official tokenizer's bytes-to-id dictionary ends up holding.
void sort_tokens(Vocabulary* v) {
  const uint32_t n = v->size();
  auto bytes_of = [v](uint32_t id) {
    return std::string_view(reinterpret_cast<const char*>(v->token_bytes.data()) + v->token_offsets[id],
                            v->token_offsets[id + 1] - v->token_offsets[id]);
  };
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < n; ++i)
    if (!bytes_of(i).empty()) ids.push_back(i);
  std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
    const int c = bytes_of(a).compare(bytes_of(b));
    return c != 0 ? c < 0 : a > b;
  });
  v->sorted_ids.clear();
  for (uint32_t id : ids)
    if (v->sorted_ids.empty() || bytes_of(v->sorted_ids.back()) != bytes_of(id)) v->sorted_ids.push_back(id);
  v->max_token_bytes = 0;
  for (uint32_t i = 0; i < n; ++i)
    v->max_token_bytes = std::max<uint32_t>(v->max_token_bytes, v->token_offsets[i + 1] - v->token_offsets[i]);
}

}  // namespace

rwkv_edge_tokenizer Vocabulary::view() const {
  rwkv_edge_tokenizer t{};
  t.vocab_size = size();
  t.max_token_bytes = max_token_bytes;
  t.n_sorted = static_cast<uint32_t>(sorted_ids.size());
  t.token_bytes = token_bytes.data();
  t.token_bytes_size = token_bytes.size();
  t.token_offsets = token_offsets.data();
  t.sorted_ids = sorted_ids.data();
  return t;
}

bool decode_python_literal(const std::string& literal, std::string* bytes, std::string* error) {
  size_t i = 0;
  const bool is_bytes = !literal.empty() && (literal[0] == 'b' || literal[0] == 'B');
  if (is_bytes) ++i;
  if (i >= literal.size() || (literal[i] != '\'' && literal[i] != '"') || literal.size() < i + 2 ||
      literal.back() != literal[i]) {
    *error = "not a quoted Python literal";
    return false;
  }
  const char quote = literal[i];
  const size_t end = literal.size() - 1;
  bytes->clear();
  for (++i; i < end; ++i) {
    const char c = literal[i];
    if (c == quote) {
      *error = "unescaped quote inside the literal";
      return false;
    }
    if (c != '\\') {
      if (is_bytes && static_cast<unsigned char>(c) >= 0x80) {
        *error = "non-ASCII character in a bytes literal";
        return false;
      }
      bytes->push_back(c);
      continue;
    }
    if (++i >= end) {
      *error = "literal ends in a backslash";
      return false;
    }
    uint32_t value = 0;
    switch (literal[i]) {
      case '\\': bytes->push_back('\\'); break;
      case '\'': bytes->push_back('\''); break;
      case '"': bytes->push_back('"'); break;
      case 'a': bytes->push_back('\a'); break;
      case 'b': bytes->push_back('\b'); break;
      case 'f': bytes->push_back('\f'); break;
      case 'n': bytes->push_back('\n'); break;
      case 'r': bytes->push_back('\r'); break;
      case 't': bytes->push_back('\t'); break;
      case 'v': bytes->push_back('\v'); break;
      case 'x':
        if (!hex_digits(literal, i + 1, 2, &value) || i + 2 >= end) {
          *error = "bad \\x escape";
          return false;
        }
        i += 2;
        // In a str, \xhh is the code point U+00hh: its UTF-8 bytes.
        if (is_bytes) bytes->push_back(static_cast<char>(value)); else append_utf8(value, bytes);
        break;
      case 'u':
      case 'U': {
        const size_t digits = literal[i] == 'u' ? 4 : 8;
        if (is_bytes || !hex_digits(literal, i + 1, digits, &value) || i + digits >= end || value > 0x10FFFF ||
            (value >= 0xD800 && value <= 0xDFFF)) {
          *error = "bad \\u or \\U escape";
          return false;
        }
        i += digits;
        append_utf8(value, bytes);
        break;
      }
      default:
        if (literal[i] >= '0' && literal[i] <= '7') {  // octal, up to 3 digits
          size_t k = 0;
          while (k < 3 && i + k < end && literal[i + k] >= '0' && literal[i + k] <= '7')
            value = value * 8 + static_cast<uint32_t>(literal[i + k++] - '0');
          i += k - 1;
          if (is_bytes) bytes->push_back(static_cast<char>(value & 0xFF)); else append_utf8(value, bytes);
          break;
        }
        *error = std::string("unsupported escape \\") + literal[i];
        return false;
    }
  }
  return true;
}

Vocabulary byte_vocabulary() {
  Vocabulary v;
  v.kind = "bytes";
  for (uint32_t i = 0; i < 256; ++i) {
    v.token_offsets.push_back(i);
    v.token_bytes.push_back(static_cast<uint8_t>(i));
  }
  v.token_offsets.push_back(256);
  sort_tokens(&v);
  return v;
}

Vocabulary read_vocabulary_file(const std::string& path, uint32_t vocab_size) {
  const MappedFile file(path);
  const std::string text(reinterpret_cast<const char*>(file.data()), file.size());
  Vocabulary v = parse_vocabulary(text, path, vocab_size);
  v.source = std::filesystem::path(path).filename().string();
  return v;
}

Vocabulary parse_vocabulary(const std::string& text, const std::string& path, uint32_t vocab_size) {
  // Without a model, ids stop at 2^20: four times the largest vocabulary in use
  // (262,144) and a 4 MiB offset table at worst, whatever a file claims.
  const uint64_t id_limit = vocab_size != 0 ? vocab_size : kStandaloneIdLimit;
  // (id, line, bytes) as read; memory follows the file, not the largest id it names.
  struct Named {
    uint32_t id;
    size_t line;
    std::string bytes;
  };
  std::vector<Named> named;
  size_t line_start = 0, line_number = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    std::string line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto fail = [&](const std::string& why) {
      throw PlanError("vocabulary " + path + " line " + std::to_string(line_number) + ": " + why);
    };
    const size_t first = line.find(' '), last = line.rfind(' ');
    if (first == std::string::npos || last <= first) fail("expected 'ID REPR LEN'");
    char* parse_end = nullptr;
    const unsigned long long id = std::strtoull(line.c_str(), &parse_end, 10);
    if (parse_end != line.c_str() + first || first == 0 || !std::isdigit(static_cast<unsigned char>(line[0])))
      fail("the id is not a number");
    const unsigned long long length = std::strtoull(line.c_str() + last + 1, &parse_end, 10);
    if (parse_end != line.c_str() + line.size() || last + 1 == line.size() ||
        !std::isdigit(static_cast<unsigned char>(line[last + 1])))
      fail("the length is not a number");
    std::string bytes, error;
    if (!decode_python_literal(line.substr(first + 1, last - first - 1), &bytes, &error)) fail(error);
    if (bytes.size() != length)
      fail("the literal is " + std::to_string(bytes.size()) + " bytes, the line says " + std::to_string(length));
    if (id >= id_limit)
      fail("id " + std::to_string(id) + " is outside the " + (vocab_size != 0 ? "model's vocabulary (" : "limit (") +
           std::to_string(id_limit) + ")");
    if (bytes.empty()) fail("empty token");
    named.push_back({static_cast<uint32_t>(id), line_number, std::move(bytes)});
  }
  if (named.empty()) throw PlanError("vocabulary " + path + " names no tokens");
  std::stable_sort(named.begin(), named.end(), [](const Named& a, const Named& b) { return a.id < b.id; });
  for (size_t i = 1; i < named.size(); ++i)
    if (named[i].id == named[i - 1].id)
      throw PlanError("vocabulary " + path + " line " + std::to_string(named[i].line) + ": id " +
                      std::to_string(named[i].id) + " appears twice");
  const uint64_t size = vocab_size != 0 ? vocab_size : uint64_t{named.back().id} + 1;
  Vocabulary v;
  v.kind = "file";
  v.source = path;
  v.token_offsets.reserve(size + 1);
  uint64_t total = 0;
  size_t next = 0;
  for (uint64_t id = 0; id < size; ++id) {
    v.token_offsets.push_back(static_cast<uint32_t>(total));
    if (next < named.size() && named[next].id == id) {
      const std::string& t = named[next++].bytes;
      v.token_bytes.insert(v.token_bytes.end(), t.begin(), t.end());
      total += t.size();
      if (total > UINT32_MAX) throw PlanError("vocabulary " + path + " is larger than 4 GiB");
    }
  }
  v.token_offsets.push_back(static_cast<uint32_t>(total));
  sort_tokens(&v);
  return v;
}

Vocabulary read_world_vocabulary(uint32_t vocab_size) {
  Vocabulary v = parse_vocabulary(std::string(world_vocabulary_text()), kWorldVocabularyName, vocab_size);
  v.kind = "world";
  return v;
}

std::vector<uint32_t> tokenize_all(const rwkv_edge_tokenizer& tokenizer, const std::string& text) {
  std::vector<uint32_t> tokens(text.size());  // never more tokens than bytes
  size_t n = 0, consumed = 0;
  const rwkv_edge_status st =
      rwkv_edge_tokenize(&tokenizer, text.data(), text.size(), tokens.data(), tokens.size(), &n, &consumed);
  if (st.code != RWKV_EDGE_OK) throw PlanError(st.message);
  tokens.resize(n);
  return tokens;
}

Vocabulary choose_vocabulary(const std::string& option, uint32_t model_vocab, std::string* note) {
  if (option == "none") {
    *note = "none (--vocab none)";
    return Vocabulary{};
  }
  if (option == "bytes" || (option.empty() && model_vocab == 256)) {
    if (model_vocab != 256)
      throw PlanError("--vocab bytes needs a 256-token model; this one has " + std::to_string(model_vocab));
    *note = "bytes (token i is byte i)";
    return byte_vocabulary();
  }
  if (option == "world" || (option.empty() && model_vocab == 65536)) {
    Vocabulary v = read_world_vocabulary(model_vocab);
    *note = "world (" + std::string(kWorldVocabularyName) + ", built in, " + std::to_string(v.size()) + " tokens)";
    return v;
  }
  if (option.empty()) {
    *note = "none: a " + std::to_string(model_vocab) +
            "-token model is neither byte-level nor World; generate, chat, ppl and tokenize will refuse this file "
            "(give --vocab FILE, or --vocab none to say so)";
    return Vocabulary{};
  }
  Vocabulary v = read_vocabulary_file(option, model_vocab);
  *note = "file (" + option + ")";
  return v;
}

}  // namespace rwkv_edge::planner
