#include "torch_unpickler.h"

#include <memory>
#include <unordered_map>

#include "byte_reader.h"

namespace rwkv_edge::planner {
namespace {

constexpr size_t kMaxStack = 1u << 22;
constexpr size_t kMaxMemo = 1u << 24;
constexpr size_t kMaxContainer = 1u << 24;
// A 100-layer checkpoint needs well under 100k values; the cap bounds memory on hostile input.
constexpr size_t kMaxValues = 1u << 20;

struct Value;
// Values live in the unpickler's pool and point at each other raw: a hostile
// pickle can build cycles through the memo, which must neither leak nor recurse.
using ValuePtr = Value*;

enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Mark, Storage, Tensor };

enum class GlobalId { OrderedDict, RebuildTensorV2, FloatStorage, HalfStorage, BFloat16Storage };

struct Value {
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<ValuePtr> items;  // tuple/list elements; dict as key, value, key, value...
  GlobalId global{};
  PickledTensor tensor;         // Storage: key, dtype, numel; Tensor: everything
};

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, const std::string& what)
      : r_(data, size, what + " (pickle)") {}

  ValuePtr run() {
    for (;;) {
      const uint8_t op = r_.read<uint8_t>();
      if (op == '.') break;
      step(op);
    }
    if (stack_.size() != 1) r_.fail("pickle ends with " + std::to_string(stack_.size()) + " stack items");
    return stack_.back();
  }

 private:
  ValuePtr make(Kind k) {
    if (pool_.size() >= kMaxValues) r_.fail("pickle holds too many objects");
    pool_.push_back(std::make_unique<Value>());
    pool_.back()->kind = k;
    return pool_.back().get();
  }
  void push(ValuePtr v) {
    if (stack_.size() >= kMaxStack) r_.fail("pickle stack too deep");
    stack_.push_back(std::move(v));
  }
  ValuePtr pop() {
    if (stack_.empty() || (stack_.back()->kind == Kind::Mark)) r_.fail("pickle stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.empty() || stack_.back()->kind == Kind::Mark) r_.fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->kind != Kind::Mark) --m;
    if (m == 0) r_.fail("pickle MARK missing");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m - 1);
    return items;
  }
  void memo_put(uint64_t id) {
    if (id >= kMaxMemo) r_.fail("pickle memo index too large");
    memo_[id] = top();
  }
  ValuePtr memo_get(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) r_.fail("pickle refers to memo " + std::to_string(id) + " before setting it");
    return it->second;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) {
    auto v = make(Kind::Tuple);
    v->items = std::move(items);
    return v;
  }
  ValuePtr global(const std::string& module, const std::string& name) {
    auto v = make(Kind::Global);
    const std::string full = module + "." + name;
    if (full == "collections.OrderedDict") v->global = GlobalId::OrderedDict;
    else if (full == "torch._utils._rebuild_tensor_v2") v->global = GlobalId::RebuildTensorV2;
    else if (full == "torch.FloatStorage") v->global = GlobalId::FloatStorage;
    else if (full == "torch.HalfStorage") v->global = GlobalId::HalfStorage;
    else if (full == "torch.BFloat16Storage") v->global = GlobalId::BFloat16Storage;
    else r_.fail("pickle global '" + full + "' is not allowed (only a torch.save(state_dict) of "
                 "float32/float16/bfloat16 tensors is accepted)");
    return v;
  }
  void set_items(Value& dict, std::vector<ValuePtr>& kv) {
    if (dict.kind != Kind::Dict) r_.fail("SETITEM(S) on a non-dict");
    if (kv.size() % 2) r_.fail("SETITEMS with an odd item count");
    if (dict.items.size() + kv.size() > kMaxContainer) r_.fail("dict too large");
    for (auto& x : kv) dict.items.push_back(std::move(x));
  }
  static uint64_t as_uint(const ValuePtr& v, ByteReader& r, const char* what) {
    if (v->kind != Kind::Int || v->i < 0) r.fail(std::string(what) + " is not a non-negative integer");
    return static_cast<uint64_t>(v->i);
  }
  std::vector<uint64_t> int_tuple(const ValuePtr& v, const char* what) {
    if (v->kind != Kind::Tuple) r_.fail(std::string(what) + " is not a tuple");
    if (v->items.size() > 8) r_.fail(std::string(what) + " has too many dimensions");
    std::vector<uint64_t> out;
    for (auto& x : v->items) out.push_back(as_uint(x, r_, what));
    return out;
  }
  ValuePtr persistent_load(const ValuePtr& pid) {
    // ('storage', <StorageType>, key, location, numel)
    if (pid->kind != Kind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::String ||
        pid->items[0]->s != "storage")
      r_.fail("unsupported persistent id (expected a torch storage reference)");
    const ValuePtr& type = pid->items[1];
    if (type->kind != Kind::Global) r_.fail("storage type is not a torch storage class");
    auto v = make(Kind::Storage);
    switch (type->global) {
      case GlobalId::FloatStorage: v->tensor.dtype = SourceDType::F32; break;
      case GlobalId::HalfStorage: v->tensor.dtype = SourceDType::F16; break;
      case GlobalId::BFloat16Storage: v->tensor.dtype = SourceDType::BF16; break;
      default: r_.fail("storage type is not a torch storage class");
    }
    if (pid->items[2]->kind != Kind::String) r_.fail("storage key is not a string");
    v->tensor.storage_key = pid->items[2]->s;
    v->tensor.storage_numel = as_uint(pid->items[4], r_, "storage size");
    return v;
  }
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind != Kind::Global || args->kind != Kind::Tuple) r_.fail("REDUCE of a non-callable");
    if (callable->global == GlobalId::OrderedDict) {
      if (!args->items.empty()) r_.fail("OrderedDict called with arguments");
      return make(Kind::Dict);
    }
    if (callable->global != GlobalId::RebuildTensorV2) r_.fail("REDUCE of a storage class");
    // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
    if (args->items.size() < 6 || args->items.size() > 7) r_.fail("_rebuild_tensor_v2 arity");
    const ValuePtr& storage = args->items[0];
    if (storage->kind != Kind::Storage) r_.fail("_rebuild_tensor_v2 without a storage");
    auto v = make(Kind::Tensor);
    v->tensor = storage->tensor;
    v->tensor.storage_offset = as_uint(args->items[1], r_, "storage offset");
    v->tensor.shape = int_tuple(args->items[2], "tensor size");
    v->tensor.stride = int_tuple(args->items[3], "tensor stride");
    if (v->tensor.shape.size() != v->tensor.stride.size()) r_.fail("tensor size and stride ranks differ");
    return v;
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: r_.read<uint8_t>(); break;             // PROTO
      case 0x95: r_.read<uint64_t>(); break;            // FRAME
      case '(': push(make(Kind::Mark)); break;          // MARK
      case '}': push(make(Kind::Dict)); break;          // EMPTY_DICT
      case ']': push(make(Kind::List)); break;          // EMPTY_LIST
      case ')': push(make(Kind::Tuple)); break;         // EMPTY_TUPLE
      case 't': push(tuple(pop_to_mark())); break;      // TUPLE
      case 0x85: { auto a = pop(); push(tuple({a})); break; }
      case 0x86: { auto b = pop(); auto a = pop(); push(tuple({a, b})); break; }
      case 0x87: { auto c = pop(); auto b = pop(); auto a = pop(); push(tuple({a, b, c})); break; }
      case 'q': memo_put(r_.read<uint8_t>()); break;    // BINPUT
      case 'r': memo_put(r_.read<uint32_t>()); break;   // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;         // MEMOIZE
      case 'h': push(memo_get(r_.read<uint8_t>())); break;   // BINGET
      case 'j': push(memo_get(r_.read<uint32_t>())); break;  // LONG_BINGET
      case 'J': { auto v = make(Kind::Int); v->i = r_.read<int32_t>(); push(v); break; }
      case 'K': { auto v = make(Kind::Int); v->i = r_.read<uint8_t>(); push(v); break; }
      case 'M': { auto v = make(Kind::Int); v->i = r_.read<uint16_t>(); push(v); break; }
      case 0x8a: {                                       // LONG1
        const uint8_t n = r_.read<uint8_t>();
        if (n > 8) r_.fail("integer wider than 64 bits");
        const uint8_t* p = r_.take(n);
        uint64_t u = 0;
        for (int k = 0; k < n; ++k) u |= uint64_t{p[k]} << (8 * k);
        if (n > 0 && n < 8 && (p[n - 1] & 0x80)) u |= ~uint64_t{0} << (8 * n);  // sign-extend
        auto v = make(Kind::Int);
        v->i = static_cast<int64_t>(u);
        push(v);
        break;
      }
      case 'G': {                                        // BINFLOAT, big-endian
        const uint8_t* p = r_.take(8);
        uint64_t u = 0;
        for (int k = 0; k < 8; ++k) u = (u << 8) | p[k];
        auto v = make(Kind::Float);
        std::memcpy(&v->f, &u, 8);
        push(v);
        break;
      }
      case 'N': push(make(Kind::None)); break;
      case 0x88: { auto v = make(Kind::Bool); v->i = 1; push(v); break; }
      case 0x89: push(make(Kind::Bool)); break;
      case 'X': case 0x8c: {                             // BINUNICODE, SHORT_BINUNICODE
        const uint64_t n = op == 'X' ? r_.read<uint32_t>() : r_.read<uint8_t>();
        auto v = make(Kind::String);
        v->s = std::string(r_.read_string(n));
        push(v);
        break;
      }
      case 'c': {                                        // GLOBAL "module\nname\n"
        std::string parts[2];
        for (auto& part : parts) {
          for (;;) {
            const char ch = static_cast<char>(r_.read<uint8_t>());
            if (ch == '\n') break;
            if (part.size() > 256) r_.fail("GLOBAL name too long");
            part.push_back(ch);
          }
        }
        push(global(parts[0], parts[1]));
        break;
      }
      case 0x93: {                                       // STACK_GLOBAL
        auto name = pop();
        auto module = pop();
        if (name->kind != Kind::String || module->kind != Kind::String) r_.fail("STACK_GLOBAL of non-strings");
        push(global(module->s, name->s));
        break;
      }
      case 'Q': { auto pid = pop(); push(persistent_load(pid)); break; }  // BINPERSID
      case 'R': { auto args = pop(); auto fn = pop(); push(reduce(fn, args)); break; }
      case 'b': {                                        // BUILD: only a dict's _metadata, ignored
        pop();
        if (top()->kind != Kind::Dict) r_.fail("BUILD on something other than a dict");
        break;
      }
      case 's': {                                        // SETITEM
        auto value = pop();
        auto key = pop();
        std::vector<ValuePtr> kv{key, value};
        set_items(*top(), kv);
        break;
      }
      case 'u': { auto kv = pop_to_mark(); set_items(*top(), kv); break; }  // SETITEMS
      case 'a': {                                        // APPEND
        auto v = pop();
        if (top()->kind != Kind::List) r_.fail("APPEND to a non-list");
        top()->items.push_back(v);
        break;
      }
      case 'e': {                                        // APPENDS
        auto items = pop_to_mark();
        if (top()->kind != Kind::List) r_.fail("APPENDS to a non-list");
        if (top()->items.size() + items.size() > kMaxContainer) r_.fail("list too large");
        for (auto& x : items) top()->items.push_back(x);
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        r_.fail(std::string("pickle opcode ") + hex + " is not accepted (not part of a torch state_dict)");
      }
    }
  }

  ByteReader r_;
  std::vector<std::unique_ptr<Value>> pool_;
  std::vector<ValuePtr> stack_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
};

}  // namespace

std::vector<PickledTensor> unpickle_state_dict(const uint8_t* data, size_t size, const std::string& what) {
  Unpickler unpickler(data, size, what);
  ValuePtr root = unpickler.run();
  if (root->kind != Kind::Dict) throw PlanError(what + ": the pickled object is not a dict of tensors");
  std::vector<PickledTensor> out;
  for (size_t i = 0; i + 1 < root->items.size(); i += 2) {
    const ValuePtr& key = root->items[i];
    const ValuePtr& value = root->items[i + 1];
    if (key->kind != Kind::String) throw PlanError(what + ": state_dict key is not a string");
    if (value->kind != Kind::Tensor) {
      if (key->s.rfind("_", 0) == 0)
        throw PlanError(what + ": entry '" + key->s +
                        "' is not a tensor; this looks like a model converted by the official "
                        "convert script — plan from the original checkpoint");
      throw PlanError(what + ": entry '" + key->s + "' is not a tensor");
    }
    PickledTensor t = value->tensor;
    t.name = key->s;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace rwkv_edge::planner
