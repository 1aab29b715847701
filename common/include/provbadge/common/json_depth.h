// A linear, non-recursive scan for the nesting depth of a JSON text, run before a real parser
// so that hostile input ("[[[[…" a megabyte deep) is refused without recursion.
//
// Thread-safety: pure function.
#ifndef PROVBADGE_COMMON_JSON_DEPTH_H_
#define PROVBADGE_COMMON_JSON_DEPTH_H_

#include <cstddef>
#include <string_view>

namespace provbadge {

// True if no array or object in `text` is nested deeper than `max_depth` (a top-level object
// is depth 1). Brackets inside strings do not count. The scan does not validate JSON; it
// stops as soon as the limit is crossed.
inline bool JsonDepthWithin(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace provbadge

#endif  // PROVBADGE_COMMON_JSON_DEPTH_H_
