// Shared helpers of provenance_*.cc: findings with a line prefix, hex checks.
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_VERIFIER_SRC_PROVENANCE_INTERNAL_H_
#define PROVBADGE_VERIFIER_SRC_PROVENANCE_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "provbadge/verifier/provenance.h"
#include "provbadge/verifier/report.h"

namespace provbadge::verifier::internal {

// Appends a finding; `line` > 0 prefixes the message with "line N: ".
void AddProvenanceFinding(std::vector<Finding>* out, int line, std::string code, Severity severity,
                          std::string message, std::string path = "", std::string expected = "",
                          std::string actual = "");

// True when `s` is exactly `length` hex digits (either case); `*lower` gets it lowercased.
bool IsHexOfLength(std::string_view s, size_t length, std::string* lower = nullptr);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_PROVENANCE_INTERNAL_H_
