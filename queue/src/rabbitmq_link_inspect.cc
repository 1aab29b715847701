// The RabbitMQ connection thread's read-only requests (rabbitmq_link.h): counting the queues
// for Stats and browsing the dead letters.
#include <algorithm>

#include "rabbitmq_headers.h"
#include "rabbitmq_link.h"

namespace provbadge::queue::internal {

Result<QueueStats> Link::CountAll() {
  QueueStats stats;
  std::vector<std::string> ready_queues = {config_.work};
  for (const auto& tier : config_.tiers) ready_queues.push_back(tier.second);
  for (const std::string& q : ready_queues) {
    Result<int64_t> n = conn_->CountReady(kControlChannel, q);
    if (!n.ok()) return n.error();
    stats.ready += *n;
  }
  if (legacy_) {  // deleted meanwhile: counts nothing
    Result<std::optional<int64_t>> n = conn_->CountIfExists(kControlChannel, config_.legacy_work);
    if (!n.ok()) return n.error();
    stats.ready += n->value_or(0);
  }
  Result<int64_t> dead = conn_->CountReady(kControlChannel, config_.dead);
  if (!dead.ok()) return dead.error();
  stats.dead = *dead;
  std::lock_guard lock(shared_.mu);
  stats.ready += static_cast<int64_t>(shared_.buffer.size());
  stats.in_flight = static_cast<int64_t>(shared_.in_flight.size());
  return stats;
}

Result<std::vector<DeadLetter>> Link::BrowseDead(size_t limit) {
  std::vector<DeadLetter> out;
  limit = std::min(limit, kMaxBrowse);
  if (limit == 0) return out;
  if (Status s = conn_->OpenChannel(kBrowseChannel); !s.ok()) return s.error();
  while (out.size() < limit) {
    Result<std::optional<AmqpMessage>> m = conn_->Get(kBrowseChannel, config_.dead);
    if (!m.ok()) return m.error();
    if (!m->has_value()) break;
    out.push_back(ToDeadLetter(**m));
  }
  // Closing the channel without acks puts every browsed message back in its place.
  if (Status s = conn_->CloseChannel(kBrowseChannel); !s.ok()) return s.error();
  return out;
}

DeadLetter Link::ToDeadLetter(const AmqpMessage& m) const {
  DeadLetter d{m.message_id, m.body, TextHeader(m.headers, kReasonHeader), 0, 0};
  d.attempts = static_cast<int>(IntHeader(m.headers, kAttemptsHeader, 0));
  if (auto at = m.headers.find(kDeadAtHeader);
      at != m.headers.end() && std::holds_alternative<int64_t>(at->second)) {
    d.dead_at_ms = std::get<int64_t>(at->second);
  }
  if (d.reason.empty()) {  // dead-lettered by the broker itself
    std::string why = TextHeader(m.headers, "x-first-death-reason");
    if (why == "delivery_limit") {
      d.attempts +=
          static_cast<int>(IntHeader(m.headers, "x-delivery-count", config_.max_attempts - 1) + 1);
      why += ": " + std::to_string(d.attempts) + " attempts";
    }
    d.reason = why.empty() ? "dead-lettered by the broker" : why;
    auto time = m.headers.find("x-death.time");  // Unix seconds
    if (time != m.headers.end() && std::holds_alternative<int64_t>(time->second)) {
      d.dead_at_ms = std::get<int64_t>(time->second) * 1000;
    }
  }
  return d;
}

}  // namespace provbadge::queue::internal
