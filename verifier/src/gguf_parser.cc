// ParseGguf (gguf.h): the strict GGUF header parser.
#include <algorithm>
#include <bit>
#include <cstring>
#include <set>

#include "gguf_stream_reader.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF"
// The smallest tensor info: name length and one byte of name, n_dims, one dimension, type,
// offset.
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

Error Bad(std::string_view code, const std::string& sentence) {
  return InvalidInput(std::string(code) + ": " + sentence);
}

size_t ScalarSize(uint32_t t) {
  switch (static_cast<GgufValueType>(t)) {
    case GgufValueType::kU8:
    case GgufValueType::kI8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kU16:
    case GgufValueType::kI16:
      return 2;
    case GgufValueType::kU32:
    case GgufValueType::kI32:
    case GgufValueType::kF32:
      return 4;
    case GgufValueType::kU64:
    case GgufValueType::kI64:
    case GgufValueType::kF64:
      return 8;
    default:
      return 0;
  }
}

class HeaderParser {
 public:
  explicit HeaderParser(FileReader& reader) : in_(reader, "gguf.truncated"), reader_(reader) {}

  Result<GgufFile> Parse() {
    GgufFile f;
    f.file_size = in_.size();
    uint32_t magic = 0;
    if (Status s = in_.ReadLe(&magic); !s.ok()) return s.error();
    if (magic != kMagic) return Bad("gguf.bad_magic", "the file does not start with \"GGUF\"");
    if (Status s = in_.ReadLe(&f.version); !s.ok()) return s.error();
    if ((f.version & 0xffff) == 0) {
      return Bad("gguf.big_endian",
                 "the version field is byte-swapped: big-endian GGUF is not supported");
    }
    if (f.version != 2 && f.version != 3) {
      return Bad("gguf.version", "GGUF version " + std::to_string(f.version) + " is not 2 or 3");
    }
    uint64_t n_tensors = 0, n_kv = 0;
    if (Status s = in_.ReadLe(&n_tensors); !s.ok()) return s.error();
    if (Status s = in_.ReadLe(&n_kv); !s.ok()) return s.error();
    if (n_tensors > limits::kMaxGgufTensors) {
      return Bad("gguf.too_many_tensors", std::to_string(n_tensors) + " tensors exceed the limit");
    }
    if (n_kv > limits::kMaxGgufKvs) {
      return Bad("gguf.too_many_kvs", std::to_string(n_kv) + " metadata entries exceed the limit");
    }
    for (uint64_t i = 0; i < n_kv; ++i) {
      if (Status s = ReadKv(&f); !s.ok()) return s.error();
    }
    if (Status s = ReadAlignment(&f); !s.ok()) return s.error();
    // Reserve no more than the rest of the file can describe (a tensor info takes at least
    // kMinTensorInfoBytes), so a tiny file claiming kMaxGgufTensors allocates nothing big.
    f.tensors.reserve(static_cast<size_t>(
        std::min<uint64_t>(n_tensors, (in_.size() - in_.position()) / kMinTensorInfoBytes)));
    std::set<std::string> names;
    for (uint64_t i = 0; i < n_tensors; ++i) {
      auto t = ReadTensorInfo(i);
      if (!t.ok()) return t.error();
      if (!names.insert(t->name).second) {
        return Bad("gguf.duplicate_tensor", "tensor \"" + t->name + "\" is listed twice");
      }
      f.tensors.push_back(std::move(*t));
    }
    if (Status s = CheckLayout(&f); !s.ok()) return s.error();
    return f;
  }

 private:
  Status ReadString(std::string* out, uint64_t max_keep, const char* what) {
    uint64_t len = 0;
    if (Status s = in_.ReadLe(&len); !s.ok()) return s;
    if (len > in_.size() - in_.position()) {
      return Bad("gguf.truncated", std::string(what) + " of " + std::to_string(len) +
                                       " bytes runs past the end of the file");
    }
    if (len > max_keep) {
      out->clear();
      return in_.Skip(len);
    }
    out->resize(static_cast<size_t>(len));
    return in_.Read(out->data(), out->size());
  }

  Status SkipValue(uint32_t type, int depth) {
    if (type == static_cast<uint32_t>(GgufValueType::kString)) {
      std::string ignored;
      return ReadString(&ignored, 0, "a string");
    }
    if (type == static_cast<uint32_t>(GgufValueType::kArray)) return SkipArray(depth + 1);
    const size_t n = ScalarSize(type);
    if (n == 0)
      return Bad("gguf.bad_value_type", "value type " + std::to_string(type) + " is unknown");
    if (type == static_cast<uint32_t>(GgufValueType::kBool)) {
      uint8_t b = 0;
      if (Status s = in_.Read(&b, 1); !s.ok()) return s;
      return b <= 1 ? Status::Ok() : Status(Bad("gguf.bad_bool", "a bool is neither 0 nor 1"));
    }
    return in_.Skip(n);
  }

  Status SkipArray(int depth, GgufValue* value = nullptr) {
    if (depth > limits::kMaxGgufArrayDepth)
      return Bad("gguf.array_too_deep", "arrays nest too deeply");
    uint32_t elem = 0;
    uint64_t count = 0;
    if (Status s = in_.ReadLe(&elem); !s.ok()) return s;
    if (Status s = in_.ReadLe(&count); !s.ok()) return s;
    if (value) {
      value->array_type = static_cast<GgufValueType>(elem);
      value->array_count = count;
    }
    const size_t scalar = ScalarSize(elem);
    if (scalar > 0 && elem != static_cast<uint32_t>(GgufValueType::kBool)) {
      const uint64_t left = in_.size() - in_.position();
      if (count > left / scalar) {
        return Bad("gguf.truncated", "an array of " + std::to_string(count) +
                                         " elements runs past the end of the file");
      }
      return in_.Skip(count * scalar);
    }
    for (uint64_t i = 0; i < count; ++i) {  // every element consumes >= 1 byte: bounded by size
      if (Status s = SkipValue(elem, depth); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status ReadKv(GgufFile* f) {
    std::string key;
    if (Status s = ReadString(&key, limits::kMaxGgufKeyBytes, "a key"); !s.ok()) return s;
    if (key.empty())
      return Bad("gguf.bad_key", "a metadata key is empty or longer than 65535 bytes");
    if (f->metadata.count(key))
      return Bad("gguf.duplicate_key", "metadata key \"" + key + "\" appears twice");
    uint32_t type = 0;
    if (Status s = in_.ReadLe(&type); !s.ok()) return s;
    GgufValue v;
    v.type = static_cast<GgufValueType>(type);
    if (type == static_cast<uint32_t>(GgufValueType::kString)) {
      if (Status s = ReadString(&v.s, limits::kMaxGgufStoredString, "a string"); !s.ok()) return s;
    } else if (type == static_cast<uint32_t>(GgufValueType::kArray)) {
      if (Status s = SkipArray(1, &v); !s.ok()) return s;
    } else {
      const size_t n = ScalarSize(type);
      if (n == 0)
        return Bad("gguf.bad_value_type",
                   "key \"" + key + "\" has unknown value type " + std::to_string(type));
      uint64_t raw = 0;
      if (Status s = in_.Read(&raw, n); !s.ok()) return s;
      if (Status s = Decode(type, n, raw, &v); !s.ok()) return s;
    }
    f->metadata.emplace(std::move(key), std::move(v));
    return Status::Ok();
  }

  static Status Decode(uint32_t type, size_t n, uint64_t raw, GgufValue* v) {
    const int shift = 64 - 8 * static_cast<int>(n);
    switch (static_cast<GgufValueType>(type)) {
      case GgufValueType::kI8:
      case GgufValueType::kI16:
      case GgufValueType::kI32:
      case GgufValueType::kI64:
        v->i = static_cast<int64_t>(raw << shift) >> shift;
        break;
      case GgufValueType::kF32: {
        float f;
        uint32_t r = static_cast<uint32_t>(raw);
        std::memcpy(&f, &r, 4);
        v->f = f;
        break;
      }
      case GgufValueType::kF64:
        std::memcpy(&v->f, &raw, 8);
        break;
      case GgufValueType::kBool:
        if (raw > 1) return Bad("gguf.bad_bool", "a bool is neither 0 nor 1");
        v->u = raw;
        break;
      default:
        v->u = raw;
    }
    return Status::Ok();
  }

  static Status ReadAlignment(GgufFile* f) {
    const GgufValue* a = f->Find("general.alignment");
    if (!a) return Status::Ok();
    if (a->type != GgufValueType::kU32)
      return Bad("gguf.bad_alignment", "general.alignment is not a u32");
    if (a->u == 0 || !std::has_single_bit(a->u) || a->u > limits::kMaxGgufAlignment) {
      return Bad("gguf.bad_alignment", "general.alignment " + std::to_string(a->u) +
                                           " is not a power of two up to 1 MiB");
    }
    f->alignment = static_cast<uint32_t>(a->u);
    return Status::Ok();
  }

  Result<GgufTensorInfo> ReadTensorInfo(uint64_t index) {
    GgufTensorInfo t;
    if (Status s = ReadString(&t.name, 63, "a tensor name"); !s.ok()) return s.error();
    if (t.name.empty()) {
      return Bad("gguf.bad_tensor_name", "tensor " + std::to_string(index) +
                                             " has an empty name or one of 64 bytes or more");
    }
    if (Status s = in_.ReadLe(&t.n_dims); !s.ok()) return s.error();
    if (t.n_dims < 1 || t.n_dims > 4) {
      return Bad("gguf.bad_dims", "tensor \"" + t.name + "\" has " + std::to_string(t.n_dims) +
                                      " dimensions (1 to 4 allowed)");
    }
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      if (Status s = in_.ReadLe(&t.ne[d]); !s.ok()) return s.error();
      if (t.ne[d] == 0 || t.ne[d] > (uint64_t{1} << 62)) {
        return Bad("gguf.bad_dims",
                   "tensor \"" + t.name + "\" has dimension " + std::to_string(t.ne[d]));
      }
    }
    if (Status s = in_.ReadLe(&t.type); !s.ok()) return s.error();
    if (Status s = in_.ReadLe(&t.offset); !s.ok()) return s.error();
    auto info = LookupGgmlType(t.type);
    if (!info)
      return Bad("gguf.bad_type",
                 "tensor \"" + t.name + "\" has unknown ggml type " + std::to_string(t.type));
    if (t.ne[0] % info->block_elems != 0) {
      return Bad("gguf.block_misaligned",
                 "tensor \"" + t.name + "\": ne[0] = " + std::to_string(t.ne[0]) +
                     " is not a multiple of the " + std::string(info->name) + " block size");
    }
    uint64_t size = t.ne[0] / info->block_elems;
    bool overflow = __builtin_mul_overflow(size, uint64_t{info->block_bytes}, &size);
    for (int d = 1; d < 4; ++d) overflow = overflow || __builtin_mul_overflow(size, t.ne[d], &size);
    if (overflow)
      return Bad("gguf.size_overflow",
                 "tensor \"" + t.name + "\" has a size that overflows 64 bits");
    t.size = size;
    return t;
  }

  uint64_t AlignUp(uint64_t v, uint64_t a, bool* overflow) {
    uint64_t r = 0;
    if (__builtin_add_overflow(v, a - 1, &r)) *overflow = true;
    return r & ~(a - 1);
  }

  // Offsets must be the running sum of padded sizes; padding zero; nothing after the end.
  Status CheckLayout(GgufFile* f) {
    bool overflow = false;
    const uint64_t header_end = in_.position();
    f->data_offset = AlignUp(header_end, f->alignment, &overflow);
    if (f->tensors.empty() && f->file_size == header_end) return Status::Ok();
    uint64_t expected = 0;
    for (const GgufTensorInfo& t : f->tensors) {
      if (t.offset % f->alignment != 0) {
        return Bad("gguf.tensor_misaligned",
                   "tensor \"" + t.name + "\" offset " + std::to_string(t.offset) +
                       " is not a multiple of the alignment " + std::to_string(f->alignment));
      }
      if (t.offset < expected) {
        return Bad("gguf.tensor_overlap", "tensor \"" + t.name + "\" at offset " +
                                              std::to_string(t.offset) +
                                              " overlaps the tensor before it (expected " +
                                              std::to_string(expected) + ")");
      }
      if (t.offset > expected) {
        return Bad("gguf.tensor_gap", "tensor \"" + t.name + "\" at offset " +
                                          std::to_string(t.offset) +
                                          " leaves a gap after the tensor before it (expected " +
                                          std::to_string(expected) + ")");
      }
      uint64_t end = 0;
      overflow = overflow || __builtin_add_overflow(t.offset, t.size, &end);
      expected = AlignUp(end, f->alignment, &overflow);
      if (overflow) return Bad("gguf.size_overflow", "tensor \"" + t.name + "\" ends beyond 2^64");
    }
    uint64_t total = 0;
    if (__builtin_add_overflow(f->data_offset, expected, &total)) {
      return Bad("gguf.size_overflow", "the tensor data ends beyond 2^64");
    }
    if (total > f->file_size) {
      return Bad("gguf.truncated", "the tensor data needs " + std::to_string(total) +
                                       " bytes; the file has " + std::to_string(f->file_size));
    }
    if (total < f->file_size) {
      return Bad("gguf.trailing_bytes",
                 std::to_string(f->file_size - total) + " bytes follow the last tensor");
    }
    // Padding: header -> data, and after each tensor.
    if (Status s =
            CheckZero(header_end, std::min(f->data_offset, f->file_size), "the header padding");
        !s.ok())
      return s;
    for (const GgufTensorInfo& t : f->tensors) {
      const uint64_t end = f->data_offset + t.offset + t.size;
      bool ignored = false;
      const uint64_t padded = f->data_offset + AlignUp(t.offset + t.size, f->alignment, &ignored);
      if (Status s = CheckZero(end, padded, "the padding after tensor \"" + t.name + "\""); !s.ok())
        return s;
    }
    return Status::Ok();
  }

  Status CheckZero(uint64_t from, uint64_t to, const std::string& what) {
    std::byte buf[4096];
    while (from < to) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof buf, to - from));
      if (Status s = ReadExactly(reader(), from, std::span(buf, n), "gguf.truncated"); !s.ok())
        return s;
      for (size_t i = 0; i < n; ++i) {
        if (buf[i] != std::byte{0}) {
          return Bad("gguf.nonzero_padding",
                     what + " has a non-zero byte at file offset " + std::to_string(from + i));
        }
      }
      from += n;
    }
    return Status::Ok();
  }

  FileReader& reader() { return reader_; }

  StreamReader in_;
  FileReader& reader_;
};

}  // namespace

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = metadata.find(std::string(key));
  return it == metadata.end() ? nullptr : &it->second;
}

std::optional<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v || v->type != GgufValueType::kString) return std::nullopt;
  return v->s;
}

std::optional<uint64_t> GgufFile::GetUint(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::nullopt;
  switch (v->type) {
    case GgufValueType::kU8:
    case GgufValueType::kU16:
    case GgufValueType::kU32:
    case GgufValueType::kU64:
      return v->u;
    case GgufValueType::kI8:
    case GgufValueType::kI16:
    case GgufValueType::kI32:
    case GgufValueType::kI64:
      if (v->i >= 0) return static_cast<uint64_t>(v->i);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  for (const GgufTensorInfo& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<GgufFile> ParseGguf(FileReader& reader) { return HeaderParser(reader).Parse(); }

std::string_view FindingCodeOf(const Error& error) {
  std::string_view m = error.message();
  const size_t colon = m.find(": ");
  if (colon == std::string_view::npos) return {};
  const std::string_view code = m.substr(0, colon);
  if (code.find('.') == std::string_view::npos || code.find(' ') != std::string_view::npos)
    return {};
  return code;
}

}  // namespace provbadge::verifier
