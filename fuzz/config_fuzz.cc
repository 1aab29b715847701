// The configuration file (config/config.h ParseConfig) and, selected by the first byte, the
// trust policy file (ParsePolicy). Strict JSON (duplicate keys, depth), unknown keys, value
// ranges, listen addresses. Relative paths resolve against a directory that does not exist,
// so key files named by a policy are never read.
#include "fuzz_support.h"
#include "provbadge/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  if (size == 0) return 0;
  std::string_view text = fuzz::AsText(data + 1, size - 1);
  const std::string base_dir = "/nonexistent/provbadge-fuzz";
  if (data[0] & 1) {
    (void)config::ParsePolicy(text, base_dir);
  } else {
    (void)config::ParseConfig(text, config::Environment{}, base_dir);
  }
  return 0;
}
