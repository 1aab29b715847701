// What the RabbitMQ connection thread's files (rabbitmq_link.cc, rabbitmq_link_inspect.cc)
// share: the channel numbers of the one connection, and the message headers the queue writes
// and reads.
//
// Thread-safety: constants and pure functions.
#ifndef PROVBADGE_QUEUE_SRC_RABBITMQ_HEADERS_H_
#define PROVBADGE_QUEUE_SRC_RABBITMQ_HEADERS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "amqp_connection.h"
#include "provbadge/common/limits.h"

namespace provbadge::queue::internal {

inline constexpr uint16_t kConsumeChannel = 1;
inline constexpr uint16_t kPublishChannel = 2;  // confirm mode
inline constexpr uint16_t kControlChannel = 3;  // declares and counts
inline constexpr uint16_t kBrowseChannel = 4;   // opened per ListDeadLetters, closed without acks
inline constexpr size_t kMaxBrowse = limits::kMaxQueueBrowse;

inline constexpr char kAttemptsHeader[] = "x-provbadge-attempts";
inline constexpr char kLastErrorHeader[] = "x-provbadge-last-error";
inline constexpr char kReasonHeader[] = "x-provbadge-reason";
inline constexpr char kDeadAtHeader[] = "x-provbadge-dead-at";

// An integer header clamped to 0..1'000'000; `fallback` when absent or not an integer.
inline int64_t IntHeader(const Headers& h, const std::string& key, int64_t fallback) {
  auto it = h.find(key);
  if (it == h.end() || !std::holds_alternative<int64_t>(it->second)) return fallback;
  return std::clamp<int64_t>(std::get<int64_t>(it->second), 0, 1'000'000);
}

// A string header; "" when absent or not a string.
inline std::string TextHeader(const Headers& h, const std::string& key) {
  auto it = h.find(key);
  if (it == h.end() || !std::holds_alternative<std::string>(it->second)) return "";
  return std::get<std::string>(it->second);
}

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_RABBITMQ_HEADERS_H_
