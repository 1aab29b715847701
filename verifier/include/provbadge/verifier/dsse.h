// DSSE (Dead Simple Signing Envelope) pre-authentication encoding.
//
// Thread-safety: pure function.
#ifndef PROVBADGE_VERIFIER_DSSE_H_
#define PROVBADGE_VERIFIER_DSSE_H_

#include <string>
#include <string_view>

namespace provbadge::verifier {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

// PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths as ASCII
// decimal byte counts. The bytes a DSSE signature covers.
std::string DssePae(std::string_view payload_type, std::string_view body);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_DSSE_H_
