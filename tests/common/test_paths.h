// Paths tests use: the shared vectors (../shared beside the checkout) and the source tree.
#ifndef PROVBADGE_TESTS_COMMON_TEST_PATHS_H_
#define PROVBADGE_TESTS_COMMON_TEST_PATHS_H_

#include <string>

namespace provbadge::testing {

inline std::string SharedDir() { return PROVBADGE_SHARED_DIR; }
inline std::string SourceDir() { return PROVBADGE_SOURCE_DIR; }

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_COMMON_TEST_PATHS_H_
