// JSON pieces of the report shared by report_json.cc and the lineage cache (lineage_cache.cc):
// findings and lineage nodes, both ways. FromJson functions validate the shape and never throw
// on a malformed value (they may throw nlohmann exceptions only for internal misuse; callers
// catch json::exception at their boundary).
//
// Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_REPORT_JSON_H_
#define PROVBADGE_VERIFIER_SRC_REPORT_JSON_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/verifier/report.h"

namespace provbadge::verifier::internal {

std::optional<Verdict> VerdictFromName(std::string_view s);

// Reads an optional string member into *out; false when present with another type.
bool GetOptionalString(const nlohmann::json& obj, const char* key, std::string* out);

nlohmann::json FindingToJson(const Finding& f);
Result<Finding> FindingFromJson(const nlohmann::json& j);

// {"repo","commit","relation","signer","builders","status","parent","fromCache","checks"}.
nlohmann::json NodeToJson(const ReportNode& node);
// Checks the field types only; the caller checks `parent` against the tree.
Result<ReportNode> NodeFromJson(const nlohmann::json& j);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_REPORT_JSON_H_
