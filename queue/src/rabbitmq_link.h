// The connection thread of the RabbitMQ queue: owns the one AmqpConnection, declares the
// topology, consumes into Shared::buffer, executes the requests API threads post (publish with
// confirms, ack/nack/republish on Complete, stats, dead-letter browsing) and reconnects with
// exponential backoff and jitter after a broker loss (counting and browsing:
// rabbitmq_link_inspect.cc). See rabbitmq_queue.h for the semantics.
//
// Ownership: owns its thread and connection; borrows `shared`, which must outlive it.
// Thread-safety: Start and Stop from the owning thread only; everything else runs inside.
#ifndef PROVBADGE_QUEUE_SRC_RABBITMQ_LINK_H_
#define PROVBADGE_QUEUE_SRC_RABBITMQ_LINK_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "amqp_connection.h"
#include "rabbitmq_shared.h"

namespace provbadge::queue::internal {

struct LinkConfig {
  AmqpEndpoint endpoint;
  AmqpSettings settings;
  std::string work;  // the queue names (rabbitmq_queue.h "Topology")
  std::string dlx;
  std::string dead;
  // The work queue of releases before v2: consumed too, as long as it exists, so that what it
  // still holds (or what older delay queues move into it) is processed; never published to.
  std::string legacy_work;
  std::vector<std::pair<std::chrono::milliseconds, std::string>> tiers;  // ascending
  int prefetch = 16;
  int max_attempts = 5;
  std::chrono::milliseconds publish_timeout{10000};
  std::chrono::milliseconds max_backoff{30000};
};

class Link {
 public:
  Link(LinkConfig config, Shared& shared);
  ~Link();  // Stop()
  // Connects and declares the topology; on success starts the thread.
  Status Start();
  // Fails what is still pending, closes the connection (uncompleted deliveries go back to the
  // broker) and joins the thread.
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(const Status&)>;
  struct Outgoing {
    std::string exchange, key, message_id, body;
    Headers headers;
    Clock::time_point deadline;
    Done done;
    bool returned = false;  // basic.return seen: the ack that follows means "unroutable"
    std::string return_detail = {};
  };

  void Run();
  Status Connect();
  // Consumes the work queue, and the legacy work queue when it exists.
  Status Subscribe(AmqpConnection& conn);
  void Drop(const std::string& why);  // forget the connection; fail what waits on it
  void WaitBackoff();
  void DrainRequests();
  void Execute(const std::shared_ptr<Request>& request);
  void ExecuteComplete(const std::shared_ptr<Request>& request);
  void Handle(AmqpEvent& event);
  void OnDelivery(AmqpMessage& message);
  void Confirm(uint64_t tag, bool multiple, bool ack);
  void FlushOutbox();
  void ExpireTimeouts();
  void Enqueue(Outgoing out);
  // Publishes to `exchange`/`key`, then acks `held` (nack-requeues it when the publish fails).
  void RepublishThenAck(const HeldDelivery& held, std::string exchange, std::string key,
                        Headers headers, Done done);
  Result<QueueStats> CountAll();
  Result<std::vector<DeadLetter>> BrowseDead(size_t limit);
  DeadLetter ToDeadLetter(const AmqpMessage& m) const;
  Status Unconnected() const;

  const LinkConfig config_;
  Shared& shared_;
  std::thread thread_;
  std::unique_ptr<AmqpConnection> conn_;  // null while disconnected
  bool consuming_ = false;
  bool legacy_ = false;   // the legacy work queue existed at connect
  bool blocked_ = false;  // connection.blocked: hold publishes
  uint64_t epoch_ = 0;    // == shared_.epoch; written under shared_.mu
  uint64_t next_seq_ = 1;
  std::vector<Outgoing> outbox_;              // waiting to be sent
  std::map<uint64_t, Outgoing> unconfirmed_;  // by publish sequence number
  std::string last_error_;
  std::chrono::milliseconds backoff_{100};
};

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_RABBITMQ_LINK_H_
