// A linear, non-recursive scan for the nesting depth of a JSON text, run before the real
// parser so that hostile input ("[[[[…" a megabyte deep) is refused without recursion.
//
// Thread-safety: pure function.
#ifndef PROVBADGE_QUEUE_SRC_JSON_DEPTH_H_
#define PROVBADGE_QUEUE_SRC_JSON_DEPTH_H_

#include <cstddef>
#include <string_view>

namespace provbadge::queue::internal {

// True if no array or object in `text` is nested deeper than `max_depth` (a top-level object
// is depth 1). Brackets inside strings do not count. The scan does not validate JSON; it
// stops as soon as the limit is crossed.
bool JsonDepthWithin(std::string_view text, size_t max_depth);

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_JSON_DEPTH_H_
