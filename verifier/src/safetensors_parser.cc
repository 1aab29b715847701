// ParseSafetensors (safetensors.h).
#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "gguf_stream_reader.h"
#include "provbadge/common/json_depth.h"
#include "provbadge/common/json_unique_keys.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/safetensors.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

Error Bad(std::string_view code, const std::string& sentence) {
  return InvalidInput(std::string(code) + ": " + sentence);
}

struct DtypeBits {
  std::string_view name;
  uint32_t bits;
};
constexpr std::array<DtypeBits, 22> kDtypes = {{
    {"BOOL", 8},    {"U8", 8},          {"I8", 8},          {"I16", 16},    {"U16", 16},
    {"I32", 32},    {"U32", 32},        {"I64", 64},        {"U64", 64},    {"F16", 16},
    {"BF16", 16},   {"F32", 32},        {"F64", 64},        {"C64", 64},    {"F8_E5M2", 8},
    {"F8_E4M3", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"F8_E8M0", 8}, {"F4", 4},
    {"F6_E2M3", 6}, {"F6_E3M2", 6},
}};

// Rejects JSON nested deeper than the limit before nlohmann's recursive parser sees it, and
// more than kMaxSafetensorsTensors top-level keys while parsing.
Result<json> ParseHeaderJson(const std::string& text) {
  if (text.empty() || text[0] != '{')
    return Bad("safetensors.header_invalid", "the header does not start with '{'");
  if (!JsonDepthWithin(text, limits::kMaxSafetensorsJsonDepth)) {
    return Bad("safetensors.header_invalid", "the header nests JSON too deeply");
  }
  try {
    json j;
    // Top-level keys are the tensors (and __metadata__): stop before building more.
    const std::string duplicate = ParseJsonUniqueKeys(text, j, limits::kMaxSafetensorsTensors);
    if (!duplicate.empty())
      return Bad("safetensors.duplicate_key",
                 "key \"" + duplicate + "\" appears twice in the header");
    if (!j.is_object()) return Bad("safetensors.header_invalid", "the header is not a JSON object");
    return j;
  } catch (const JsonTooManyKeys&) {
    return Bad("safetensors.too_many_tensors", "the header lists too many tensors");
  } catch (const json::exception& e) {
    return Bad("safetensors.header_invalid",
               std::string("the header is not valid JSON: ") + e.what());
  }
}

Result<SafetensorsTensor> ParseEntry(const std::string& name, const json& v, uint64_t data_offset) {
  auto fail = [&](const std::string& why) {
    return Bad("safetensors.tensor_invalid", "tensor \"" + name + "\": " + why);
  };
  if (!v.is_object()) return fail("entry is not an object");
  SafetensorsTensor t;
  t.name = name;
  auto dt = v.find("dtype");
  auto sh = v.find("shape");
  auto off = v.find("data_offsets");
  if (dt == v.end() || !dt->is_string()) return fail("dtype missing");
  if (sh == v.end() || !sh->is_array()) return fail("shape missing");
  if (off == v.end() || !off->is_array() || off->size() != 2)
    return fail("data_offsets is not [begin, end]");
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      return fail("unknown field \"" + it.key() + "\"");
  }
  t.dtype = dt->get<std::string>();
  const uint32_t bits = SafetensorsDtypeBits(t.dtype);
  if (bits == 0)
    return Bad("safetensors.dtype_unknown",
               "tensor \"" + name + "\" has unknown dtype \"" + t.dtype + "\"");
  if (sh->size() > limits::kMaxSafetensorsRank) return fail("rank above the limit");
  uint64_t elems = 1;
  for (const json& d : *sh) {
    if (!d.is_number_unsigned()) return fail("a dimension is not a non-negative integer");
    t.shape.push_back(d.get<uint64_t>());
    if (__builtin_mul_overflow(elems, t.shape.back(), &elems)) {
      return Bad("safetensors.size_overflow",
                 "tensor \"" + name + "\" has a size that overflows 64 bits");
    }
  }
  uint64_t total_bits = 0;
  if (__builtin_mul_overflow(elems, uint64_t{bits}, &total_bits)) {
    return Bad("safetensors.size_overflow",
               "tensor \"" + name + "\" has a size that overflows 64 bits");
  }
  if (total_bits % 8 != 0) return fail("its size is not a whole number of bytes");
  if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
    return fail("data_offsets are not non-negative integers");
  const uint64_t b = (*off)[0].get<uint64_t>(), e = (*off)[1].get<uint64_t>();
  if (e < b || e - b != total_bits / 8) {
    return Bad("safetensors.size_mismatch", "tensor \"" + name + "\": data_offsets [" +
                                                std::to_string(b) + ", " + std::to_string(e) +
                                                "] do not hold " + std::to_string(total_bits / 8) +
                                                " bytes");
  }
  if (__builtin_add_overflow(b, data_offset, &t.begin) ||
      __builtin_add_overflow(e, data_offset, &t.end)) {
    return Bad("safetensors.size_overflow", "tensor \"" + name + "\" lies beyond 2^64");
  }
  return t;
}

}  // namespace

uint64_t SafetensorsTensor::Elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

const SafetensorsTensor* SafetensorsFile::Find(std::string_view name) const {
  for (const SafetensorsTensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

uint32_t SafetensorsDtypeBits(std::string_view dtype) {
  for (const DtypeBits& d : kDtypes) {
    if (d.name == dtype) return d.bits;
  }
  return 0;
}

Result<SafetensorsFile> ParseSafetensors(FileReader& reader) {
  SafetensorsFile f;
  const uint64_t size = reader.Size();
  if (size < 8)
    return Bad("safetensors.truncated", "the file is shorter than its 8-byte header length");
  std::byte len_bytes[8];
  if (Status s = ReadExactly(reader, 0, len_bytes, "safetensors.truncated"); !s.ok())
    return s.error();
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(len_bytes[i]);
  if (n > limits::kMaxSafetensorsHeaderBytes) {
    return Bad("safetensors.header_too_large",
               "the header length " + std::to_string(n) + " exceeds 100,000,000 bytes");
  }
  if (n > size - 8)
    return Bad("safetensors.truncated",
               "the header length " + std::to_string(n) + " runs past the end of the file");
  f.header_bytes = n;
  f.data_offset = 8 + n;
  std::string text(static_cast<size_t>(n), '\0');
  if (Status s =
          ReadExactly(reader, 8, std::as_writable_bytes(std::span(text)), "safetensors.truncated");
      !s.ok()) {
    return s.error();
  }
  auto j = ParseHeaderJson(text);
  if (!j.ok()) return j.error();
  for (auto it = j->begin(); it != j->end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        return Bad("safetensors.metadata_invalid", "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          return Bad("safetensors.metadata_invalid",
                     "__metadata__ value \"" + m.key() + "\" is not a string");
        f.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    auto t = ParseEntry(it.key(), *it, f.data_offset);
    if (!t.ok()) return t.error();
    f.tensors.push_back(std::move(*t));
  }
  std::sort(f.tensors.begin(), f.tensors.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t expected = f.data_offset;
  for (const SafetensorsTensor& t : f.tensors) {
    if (t.begin < expected)
      return Bad("safetensors.overlap", "tensor \"" + t.name + "\" overlaps another tensor's data");
    if (t.begin > expected)
      return Bad("safetensors.gap", "a hole of " + std::to_string(t.begin - expected) +
                                        " bytes precedes tensor \"" + t.name + "\"");
    expected = t.end;
  }
  if (expected > size)
    return Bad("safetensors.truncated", "tensor data runs past the end of the file");
  if (expected < size)
    return Bad("safetensors.trailing_bytes",
               std::to_string(size - expected) + " bytes follow the last tensor");
  return f;
}

}  // namespace provbadge::verifier
