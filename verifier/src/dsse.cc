// DSSE pre-authentication encoding.
#include "provbadge/verifier/dsse.h"

namespace provbadge::verifier {

std::string DssePae(std::string_view payload_type, std::string_view body) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(body.size());
  out += ' ';
  out += body;
  return out;
}

}  // namespace provbadge::verifier
