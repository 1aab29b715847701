// Where the integration fixtures (tests/integration/*_up.sh, registered in CMakeLists.txt)
// put their servers. CTest passes one variable per binary:
//   PROVBADGE_IT_REDIS     = "<port>"
//   PROVBADGE_IT_RABBITMQ  = "<amqp port>:<tls port>:<fixture dir>"
// Without them (running a binary by hand) the defaults of tests/integration/CMakeLists.txt
// are used.
//
// Thread-safety: reads the environment; call from the test thread.
#ifndef PROVBADGE_TESTS_INTEGRATION_INTEGRATION_ENV_H_
#define PROVBADGE_TESTS_INTEGRATION_INTEGRATION_ENV_H_

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <string>

namespace provbadge::integration {

inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// A name no other test process or case uses: "<tag>-<pid>-<n>".
inline std::string UniqueName(const std::string& tag) {
  static std::atomic<int> counter{0};
  return tag + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

struct RabbitMqFixture {
  std::string amqp_port = "15673";
  std::string tls_port = "15674";
  std::string dir;  // holds ctl (rabbitmqctl) and tls/ca.pem
};

inline RabbitMqFixture RabbitMq() {
  RabbitMqFixture f;
  std::string spec = EnvOr("PROVBADGE_IT_RABBITMQ", "");
  size_t a = spec.find(':');
  size_t b = a == std::string::npos ? a : spec.find(':', a + 1);
  if (b != std::string::npos) {
    f.amqp_port = spec.substr(0, a);
    f.tls_port = spec.substr(a + 1, b - a - 1);
    f.dir = spec.substr(b + 1);
  }
  return f;
}

}  // namespace provbadge::integration

#endif  // PROVBADGE_TESTS_INTEGRATION_INTEGRATION_ENV_H_
