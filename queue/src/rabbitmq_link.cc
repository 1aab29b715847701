// The RabbitMQ connection thread (rabbitmq_link.h).
#include "rabbitmq_link.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "provbadge/common/limits.h"

namespace provbadge::queue::internal {
namespace {

using std::chrono::milliseconds;

constexpr uint16_t kConsumeChannel = 1;
constexpr uint16_t kPublishChannel = 2;  // confirm mode
constexpr uint16_t kControlChannel = 3;  // declares and counts
constexpr uint16_t kBrowseChannel = 4;   // opened per ListDeadLetters, closed without acks
constexpr milliseconds kIdlePoll{200};
constexpr milliseconds kInitialBackoff{100};
constexpr size_t kMaxBrowse = limits::kMaxQueueBrowse;

const char kAttemptsHeader[] = "x-provbadge-attempts";
const char kLastErrorHeader[] = "x-provbadge-last-error";
const char kReasonHeader[] = "x-provbadge-reason";
const char kDeadAtHeader[] = "x-provbadge-dead-at";

int64_t UnixMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t IntHeader(const Headers& h, const std::string& key, int64_t fallback) {
  auto it = h.find(key);
  if (it == h.end() || !std::holds_alternative<int64_t>(it->second)) return fallback;
  return std::clamp<int64_t>(std::get<int64_t>(it->second), 0, 1'000'000);
}

std::string TextHeader(const Headers& h, const std::string& key) {
  auto it = h.find(key);
  if (it == h.end() || !std::holds_alternative<std::string>(it->second)) return "";
  return std::get<std::string>(it->second);
}

void DrainWake(int fd) {
  uint64_t n;
  while (read(fd, &n, sizeof n) > 0) {
  }
}

}  // namespace

Link::Link(LinkConfig config, Shared& shared) : config_(std::move(config)), shared_(shared) {}

Link::~Link() { Stop(); }

Status Link::Start() {
  if (Status s = Connect(); !s.ok()) return s;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Link::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(shared_.mu);
    shared_.stopping = true;
  }
  shared_.delivered.notify_all();
  shared_.Wake();
  thread_.join();
}

Status Link::Unconnected() const {
  return Unavailable("rabbitmq: not connected" + (last_error_.empty() ? "" : ": " + last_error_));
}

Status Link::Connect() {
  auto conn = std::make_unique<AmqpConnection>();
  const std::string& work = config_.work;
  Headers work_args = {{"x-queue-type", std::string("quorum")},
                       {"x-delivery-limit", int64_t{config_.max_attempts - 1}},
                       {"x-dead-letter-exchange", config_.dlx},
                       {"x-dead-letter-routing-key", std::string("dead")}};
  Status s = conn->Connect(config_.endpoint, config_.settings);
  for (uint16_t ch : {kControlChannel, kPublishChannel, kConsumeChannel}) {
    if (s.ok()) s = conn->OpenChannel(ch);
  }
  if (s.ok()) s = conn->DeclareExchange(kControlChannel, config_.dlx);
  if (s.ok())
    s = conn->DeclareQueue(kControlChannel, config_.dead,
                           {{"x-queue-type", std::string("classic")}});
  if (s.ok()) s = conn->BindQueue(kControlChannel, config_.dead, config_.dlx, "dead");
  if (s.ok()) s = conn->DeclareQueue(kControlChannel, work, work_args);
  for (const auto& [delay, name] : config_.tiers) {
    if (s.ok()) {
      // Quorum, so that moving an expired message back to Q is at-least-once (a classic
      // queue dead-letters at-most-once); the broker needs reject-publish overflow for it.
      s = conn->DeclareQueue(kControlChannel, name,
                             {{"x-queue-type", std::string("quorum")},
                              {"x-message-ttl", int64_t{delay.count()}},
                              {"x-dead-letter-exchange", std::string()},
                              {"x-dead-letter-routing-key", work},
                              {"x-dead-letter-strategy", std::string("at-least-once")},
                              {"x-overflow", std::string("reject-publish")}});
    }
  }
  if (s.ok()) s = conn->ConfirmSelect(kPublishChannel);
  if (s.ok()) s = conn->Qos(kConsumeChannel, config_.prefetch);
  bool consume;
  {
    std::lock_guard lock(shared_.mu);
    consume = shared_.consume_wanted;
  }
  if (s.ok() && consume) s = conn->Consume(kConsumeChannel, work);
  if (!s.ok()) return s;
  conn_ = std::move(conn);
  consuming_ = consume;
  blocked_ = false;
  next_seq_ = 1;
  backoff_ = kInitialBackoff;
  std::lock_guard lock(shared_.mu);
  epoch_ = ++shared_.epoch;
  return Status::Ok();
}

void Link::Drop(const std::string& why) {
  conn_.reset();  // no graceful close on a broken connection: it could block
  consuming_ = false;
  last_error_ = why;
  {
    std::lock_guard lock(shared_.mu);
    epoch_ = ++shared_.epoch;  // the broker requeues every unacked delivery
    shared_.buffer.clear();
    shared_.in_flight.clear();
  }
  Error e = Unavailable(why);
  std::vector<Outgoing> failed = std::move(outbox_);
  outbox_.clear();
  for (auto& [seq, out] : unconfirmed_) failed.push_back(std::move(out));
  unconfirmed_.clear();
  for (Outgoing& out : failed) out.done(e);
}

void Link::WaitBackoff() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  const milliseconds half = backoff_ / 2;
  const milliseconds sleep =
      half + milliseconds(std::uniform_int_distribution<int64_t>(0, half.count())(rng));
  backoff_ = std::min(backoff_ * 2, config_.max_backoff);
  const auto until = Clock::now() + sleep;
  for (auto now = Clock::now(); now < until; now = Clock::now()) {
    {
      std::lock_guard lock(shared_.mu);
      if (shared_.stopping) return;
    }
    pollfd fd{shared_.wake_fd, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(std::chrono::ceil<milliseconds>(until - now).count()));
    DrainRequests();  // answered at once: not connected
  }
}

void Link::Run() {
  for (;;) {
    {
      std::lock_guard lock(shared_.mu);
      if (shared_.stopping) break;
    }
    if (conn_ == nullptr) {
      if (Status s = Connect(); !s.ok()) {
        last_error_ = s.error().message();
        WaitBackoff();
        continue;
      }
    }
    DrainRequests();
    if (conn_ != nullptr) FlushOutbox();
    if (conn_ == nullptr) continue;
    milliseconds wait = kIdlePoll;
    if (config_.settings.heartbeat.count() > 0) {
      wait = std::min<milliseconds>(wait, config_.settings.heartbeat / 2);
    }
    AmqpEvent event = conn_->Next(wait, shared_.wake_fd);
    Handle(event);
    ExpireTimeouts();
  }
  if (conn_ != nullptr) conn_->Close();  // graceful: the broker requeues what is unacked
  Drop("rabbitmq: queue closed");
  DrainRequests();
}

void Link::DrainRequests() {
  DrainWake(shared_.wake_fd);
  std::deque<std::shared_ptr<Request>> requests;
  bool start_consuming;
  {
    std::lock_guard lock(shared_.mu);
    requests.swap(shared_.requests);
    start_consuming = shared_.consume_wanted && !consuming_;
  }
  if (conn_ != nullptr && start_consuming) {
    if (Status s = conn_->Consume(kConsumeChannel, config_.work); !s.ok()) {
      Drop(s.error().message());
    } else {
      consuming_ = true;
    }
  }
  for (const std::shared_ptr<Request>& r : requests) {
    if (conn_ == nullptr) {
      r->Fail(Unconnected().error());
      continue;
    }
    Execute(r);
  }
}

void Link::Execute(const std::shared_ptr<Request>& request) {
  Request& r = *request;
  switch (r.kind) {
    case Request::Kind::kPublish:
      Enqueue({"",
               config_.work,
               r.message_id,
               std::move(r.body),
               {},
               Clock::now(),
               [request](const Status& s) { request->status.set_value(s); }});
      return;
    case Request::Kind::kComplete:
      return ExecuteComplete(request);
    case Request::Kind::kStats: {
      Result<QueueStats> stats = CountAll();
      if (!stats.ok()) Drop(stats.error().message());
      r.stats.set_value(std::move(stats));
      return;
    }
    case Request::Kind::kListDead: {
      Result<std::vector<DeadLetter>> dead = BrowseDead(r.limit);
      if (!dead.ok()) Drop(dead.error().message());
      r.dead.set_value(std::move(dead));
      return;
    }
    case Request::Kind::kPing: {
      Result<int64_t> n = conn_->CountReady(kControlChannel, config_.work);
      if (!n.ok()) Drop(n.error().message());
      r.status.set_value(n.status());
      return;
    }
  }
}

void Link::ExecuteComplete(const std::shared_ptr<Request>& request) {
  Request& r = *request;
  const HeldDelivery& held = r.held;
  if (held.epoch != epoch_) {  // from before a reconnect: the broker redelivers it
    r.status.set_value(Status::Ok());
    return;
  }
  const Delivery& d = held.delivery;
  const Outcome& o = r.outcome;
  Done done = [request](const Status& s) { request->status.set_value(s); };
  Status sent;
  switch (o.kind) {
    case Outcome::Kind::kAck:
      sent = conn_->Ack(kConsumeChannel, held.tag);
      break;
    case Outcome::Kind::kRetry: {
      if (o.delay <= milliseconds(0) || config_.tiers.empty()) {
        sent = conn_->Nack(kConsumeChannel, held.tag, true);
        break;
      }
      auto tier = std::find_if(config_.tiers.begin(), config_.tiers.end(),
                               [&](const auto& t) { return t.first >= o.delay; });
      if (tier == config_.tiers.end()) --tier;  // longer than every tier: the longest
      return RepublishThenAck(held, "", tier->second,
                              {{kAttemptsHeader, int64_t{d.attempt}}, {kLastErrorHeader, o.reason}},
                              std::move(done));
    }
    case Outcome::Kind::kReject:
      return RepublishThenAck(held, config_.dlx, "dead",
                              {{kReasonHeader, o.reason.empty() ? "rejected" : o.reason},
                               {kAttemptsHeader, int64_t{d.attempt}},
                               {kDeadAtHeader, UnixMs()}},
                              std::move(done));
  }
  if (!sent.ok()) Drop(sent.error().message());
  done(sent);
}

void Link::RepublishThenAck(const HeldDelivery& held, std::string exchange, std::string key,
                            Headers headers, Done done) {
  const uint64_t epoch = epoch_;
  const uint64_t tag = held.tag;
  Enqueue({std::move(exchange), std::move(key), held.delivery.message_id, held.delivery.body,
           std::move(headers), Clock::now(),
           [this, epoch, tag, done = std::move(done)](const Status& published) {
             if (epoch != epoch_ || conn_ == nullptr) {  // lost: the broker redelivers it
               if (done) done(published.ok() ? Unconnected() : published);
               return;
             }
             Status s = published.ok() ? conn_->Ack(kConsumeChannel, tag)
                                       : conn_->Nack(kConsumeChannel, tag, true);
             if (!s.ok()) Drop(s.error().message());
             if (done) done(published.ok() ? s : published);
           }});
}

void Link::Enqueue(Outgoing out) {
  out.deadline = Clock::now() + config_.publish_timeout;
  outbox_.push_back(std::move(out));
}

void Link::FlushOutbox() {
  if (blocked_) return;  // connection.blocked: the broker would stall the socket
  std::vector<Outgoing> sending = std::move(outbox_);
  outbox_.clear();
  for (size_t i = 0; i < sending.size(); ++i) {
    Outgoing& out = sending[i];
    if (conn_ == nullptr) {
      out.done(Unconnected());
      continue;
    }
    Status s = conn_->Publish(kPublishChannel, out.exchange, out.key, out.message_id, out.body,
                              out.headers);
    if (!s.ok()) {
      out.done(s);
      Drop(s.error().message());
      continue;
    }
    unconfirmed_.emplace(next_seq_++, std::move(out));
  }
}

void Link::Confirm(uint64_t tag, bool multiple, bool ack) {
  auto end = multiple ? unconfirmed_.upper_bound(tag) : unconfirmed_.find(tag);
  auto begin = multiple ? unconfirmed_.begin() : end;
  if (!multiple) {
    if (end == unconfirmed_.end()) return;
    ++end;
  }
  std::vector<Outgoing> done;
  for (auto it = begin; it != end; ++it) done.push_back(std::move(it->second));
  unconfirmed_.erase(begin, end);
  for (Outgoing& out : done) {
    if (!ack) {
      out.done(Unavailable("rabbitmq: the broker refused the message (basic.nack)"));
    } else if (out.returned) {
      out.done(Unavailable("rabbitmq: unroutable: " + out.return_detail));
    } else {
      out.done(Status::Ok());
    }
  }
}

void Link::ExpireTimeouts() {
  const auto now = Clock::now();
  std::vector<std::pair<Outgoing, const char*>> expired;
  for (auto it = unconfirmed_.begin(); it != unconfirmed_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    expired.emplace_back(std::move(it->second), "no publisher confirm within the publish timeout");
    it = unconfirmed_.erase(it);
  }
  for (auto it = outbox_.begin(); it != outbox_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    expired.emplace_back(std::move(*it), "the broker blocks publishers (resource alarm)");
    it = outbox_.erase(it);
  }
  // Callbacks may drop the connection, which touches both containers: call them last.
  for (auto& [out, why] : expired) out.done(Unavailable(std::string("rabbitmq: ") + why));
}

void Link::Handle(AmqpEvent& event) {
  switch (event.kind) {
    case AmqpEvent::Kind::kNone:
      return;
    case AmqpEvent::Kind::kLost:
      return Drop(event.detail);
    case AmqpEvent::Kind::kDelivery:
      return OnDelivery(event.message);
    case AmqpEvent::Kind::kConfirmAck:
    case AmqpEvent::Kind::kConfirmNack:
      return Confirm(event.tag, event.multiple, event.kind == AmqpEvent::Kind::kConfirmAck);
    case AmqpEvent::Kind::kReturn:
      // The return precedes the ack of the same publish: mark the oldest unconfirmed publish
      // of that message id.
      for (auto& [seq, out] : unconfirmed_) {
        if (!out.returned && out.message_id == event.message.message_id) {
          out.returned = true;
          out.return_detail = event.detail;
          break;
        }
      }
      return;
    case AmqpEvent::Kind::kBlocked:
      blocked_ = true;
      return;
    case AmqpEvent::Kind::kUnblocked:
      blocked_ = false;
      return;
  }
}

void Link::OnDelivery(AmqpMessage& m) {
  const int64_t before = IntHeader(m.headers, kAttemptsHeader, 0);
  const int64_t redeliveries = IntHeader(m.headers, "x-delivery-count", 0);
  const int64_t attempt = before + redeliveries + 1;
  HeldDelivery held{epoch_, m.delivery_tag,
                    Delivery{m.message_id, std::move(m.body), static_cast<int>(attempt),
                             m.redelivered || attempt > 1, 0}};
  if (attempt > config_.max_attempts) {
    std::string reason = "delivery_limit: " + std::to_string(attempt - 1) + " attempts";
    std::string last_error = TextHeader(m.headers, kLastErrorHeader);
    if (!last_error.empty()) reason += "; last error: " + last_error;
    RepublishThenAck(
        held, config_.dlx, "dead",
        {{kReasonHeader, reason}, {kAttemptsHeader, attempt - 1}, {kDeadAtHeader, UnixMs()}},
        nullptr);
    return;
  }
  {
    std::lock_guard lock(shared_.mu);
    shared_.buffer.push_back(std::move(held));
  }
  shared_.delivered.notify_one();
}

Result<QueueStats> Link::CountAll() {
  QueueStats stats;
  std::vector<std::string> ready_queues = {config_.work};
  for (const auto& tier : config_.tiers) ready_queues.push_back(tier.second);
  for (const std::string& q : ready_queues) {
    Result<int64_t> n = conn_->CountReady(kControlChannel, q);
    if (!n.ok()) return n.error();
    stats.ready += *n;
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
