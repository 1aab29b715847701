// Forwarder: the verifier's bounds on untrusted input live with every other limit in
// provbadge/common/limits.h (namespace provbadge::limits). New code includes that header;
// this one keeps `limits::kX` working in verifier/src files that still include "limits.h"
// (it adds no limits of its own).
//
// Thread-safety: compile-time constants.
#ifndef PROVBADGE_VERIFIER_SRC_LIMITS_H_
#define PROVBADGE_VERIFIER_SRC_LIMITS_H_

#include "provbadge/common/limits.h"

namespace provbadge::verifier {
namespace limits = ::provbadge::limits;
}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_SRC_LIMITS_H_
