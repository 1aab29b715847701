// The verifier's JSON parser (simdjson converted to nlohmann::json, verifier/src/json_util.cc)
// differentially against nlohmann's own parser, on any bytes.
// Invariants: whatever ParseJsonBounded accepts, nlohmann accepts too and reads as the same
// value with the same kinds (dump equality); nlohmann-only acceptances are limited to the
// documented differences (integers beyond 64 bits, numbers beyond double range, a UTF-8 BOM).
#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "verifier/src/json_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using provbadge::verifier::internal::JsonParseStatus;
  const std::string_view text = provbadge::fuzz::AsText(data, size);
  nlohmann::json ours;
  const JsonParseStatus status = provbadge::verifier::internal::ParseJsonBounded(text, 64, &ours);
  if (status == JsonParseStatus::kTooDeep) return 0;
  const nlohmann::json theirs = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (status == JsonParseStatus::kOk) {
    provbadge::fuzz::FuzzCheck(!theirs.is_discarded(), "accepted JSON that nlohmann rejects");
    provbadge::fuzz::FuzzCheck(ours.dump() == theirs.dump(), "a different value than nlohmann's");
  }
  return 0;
}
