// The RabbitMQ EventQueue (rabbitmq_queue.h): the API side. Deliveries come from the
// connection thread (rabbitmq_link.cc) through Shared::buffer; everything that talks to the
// broker is posted to that thread as a Request.
#include "provbadge/queue/rabbitmq_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>

#include "provbadge/common/limits.h"
#include "rabbitmq_link.h"

namespace provbadge::queue {
namespace {

using internal::HeldDelivery;
using internal::Request;
using std::chrono::milliseconds;

constexpr size_t kMaxMessageIdBytes = limits::kMaxAmqpMessageIdBytes;
constexpr int kMaxAttemptsLimit = 1000;
constexpr milliseconds kMaxTier{std::chrono::hours(24)};

// Handles are unique in the process, so a handle from another (destroyed) queue object never
// names a delivery of this one.
std::atomic<uint64_t> g_next_handle{1};

Status ValidateOptions(const RabbitMqQueueOptions& o) {
  auto bad = [](const std::string& why) { return InvalidInput("rabbitmq queue: " + why); };
  if (o.queue.empty() || o.queue.size() > 200) return bad("queue: must be 1-200 bytes");
  if (o.prefetch < 1 || o.prefetch > 65535) return bad("prefetch: must be between 1 and 65535");
  if (o.max_attempts < 1 || o.max_attempts > kMaxAttemptsLimit) {
    return bad("max_attempts: must be between 1 and " + std::to_string(kMaxAttemptsLimit));
  }
  if (o.heartbeat.count() < 0 || o.heartbeat.count() > 3600) {
    return bad("heartbeat: must be between 0 and 3600 s");
  }
  milliseconds previous{0};
  for (milliseconds tier : o.retry_delays) {
    if (tier <= previous || tier > kMaxTier) {
      return bad("retry_delays: must be ascending, each between 1 ms and 24 h");
    }
    previous = tier;
  }
  for (milliseconds t : {o.connect_timeout, o.publish_timeout, o.reconnect_max_backoff}) {
    if (t <= milliseconds(0)) return bad("timeouts must be positive");
  }
  return Status::Ok();
}

class RabbitMqQueue final : public EventQueue {
 public:
  RabbitMqQueue(internal::LinkConfig config, int wake_fd)
      : shared_(wake_fd), link_(std::move(config), shared_) {}
  ~RabbitMqQueue() override {
    link_.Stop();
    close(shared_.wake_fd);
  }

  Status Start() { return link_.Start(); }

  Status Publish(std::string_view message_id, std::string_view body) override {
    if (message_id.empty() || message_id.size() > kMaxMessageIdBytes) {
      return InvalidInput("rabbitmq queue: message_id: must be 1-" +
                          std::to_string(kMaxMessageIdBytes) + " bytes");
    }
    auto r = std::make_shared<Request>();
    r->kind = Request::Kind::kPublish;
    r->message_id = std::string(message_id);
    r->body = std::string(body);
    return Post(r, r->status);
  }

  Result<std::optional<Delivery>> Receive(milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, milliseconds(0));
    std::unique_lock lock(shared_.mu);
    if (!shared_.consume_wanted) {  // consume lazily: a publish-only handle takes nothing
      shared_.consume_wanted = true;
      shared_.Wake();
    }
    shared_.delivered.wait_until(lock, deadline,
                                 [&] { return !shared_.buffer.empty() || shared_.stopping; });
    if (shared_.buffer.empty()) return std::optional<Delivery>();
    HeldDelivery held = std::move(shared_.buffer.front());
    shared_.buffer.pop_front();
    held.delivery.handle = g_next_handle++;
    Delivery out = held.delivery;
    out.handle = held.delivery.handle;
    held.delivery.body.clear();  // kept only for republishing: taken from the caller's copy
    shared_.in_flight.emplace(out.handle, std::move(held));
    return std::optional<Delivery>(std::move(out));
  }

  Status Complete(const Delivery& delivery, const Outcome& outcome) override {
    auto r = std::make_shared<Request>();
    {
      std::lock_guard lock(shared_.mu);
      auto it = shared_.in_flight.find(delivery.handle);
      if (it == shared_.in_flight.end() || it->second.delivery.message_id != delivery.message_id) {
        return Status::Ok();  // completed already, or from before a reconnect: no-op
      }
      r->held = std::move(it->second);
      shared_.in_flight.erase(it);
    }
    r->kind = Request::Kind::kComplete;
    r->held.delivery.body = delivery.body;
    r->outcome = outcome;
    return Post(r, r->status);
  }

  Result<std::vector<DeadLetter>> ListDeadLetters(size_t limit) override {
    auto r = std::make_shared<Request>();
    r->kind = Request::Kind::kListDead;
    r->limit = limit;
    return Post(r, r->dead);
  }

  Result<QueueStats> Stats() override {
    auto r = std::make_shared<Request>();
    r->kind = Request::Kind::kStats;
    return Post(r, r->stats);
  }

  Status Ping() override {
    auto r = std::make_shared<Request>();
    r->kind = Request::Kind::kPing;
    return Post(r, r->status);
  }

 private:
  // Hands `r` to the connection thread and waits for its answer (the thread answers every
  // request: executed, failed while disconnected, or failed at shutdown).
  template <typename T>
  T Post(const std::shared_ptr<Request>& r, std::promise<T>& answer) {
    std::future<T> future = answer.get_future();
    {
      std::lock_guard lock(shared_.mu);
      shared_.requests.push_back(r);
    }
    shared_.Wake();
    return future.get();
  }

  internal::Shared shared_;
  internal::Link link_;
};

}  // namespace

namespace internal {
void Shared::Wake() const {
  const uint64_t one = 1;
  ssize_t ignored = write(wake_fd, &one, sizeof one);
  (void)ignored;  // the counter saturating still leaves the fd readable
}
}  // namespace internal

std::string WorkQueueName(std::string_view queue) { return std::string(queue) + ".v2"; }

std::string RetryTierQueueName(std::string_view queue, milliseconds delay) {
  return std::string(queue) + ".retry.v3." + std::to_string(delay.count()) + "ms";
}

Result<std::unique_ptr<EventQueue>> OpenRabbitMqQueue(const RabbitMqQueueOptions& options) {
  if (Status s = ValidateOptions(options); !s.ok()) return s.error();
  Result<internal::AmqpEndpoint> endpoint = internal::ParseAmqpUrl(options.url);
  if (!endpoint.ok()) return endpoint.error();
  endpoint->ca_file = options.ca_file;
  internal::LinkConfig config;
  config.endpoint = *endpoint;
  config.settings.heartbeat = options.heartbeat;
  config.settings.timeout = options.connect_timeout;
  config.settings.connection_name = options.connection_name;
  config.work = WorkQueueName(options.queue);
  config.legacy_work = options.queue;
  config.dlx = options.queue + ".dlx";
  config.dead = options.queue + ".dead";
  for (milliseconds tier : options.retry_delays) {
    config.tiers.emplace_back(tier, RetryTierQueueName(options.queue, tier));
  }
  config.prefetch = options.prefetch;
  config.max_attempts = options.max_attempts;
  config.publish_timeout = options.publish_timeout;
  config.max_backoff = options.reconnect_max_backoff;
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Unavailable("rabbitmq queue: eventfd failed");
  auto queue = std::make_unique<RabbitMqQueue>(std::move(config), wake_fd);
  if (Status s = queue->Start(); !s.ok()) return s.error().Wrap("rabbitmq queue: open");
  return std::unique_ptr<EventQueue>(std::move(queue));
}

}  // namespace provbadge::queue
