// The EventQueue contract cases (see queue_contract.h).
#include "queue/queue_contract.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace provbadge::queue::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kPatient{5000};  // "surely arrives by now"; never an upper bound asserted
constexpr milliseconds kBrief{100};     // "nothing should arrive"

void RequireOk(const Status& s) {
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
}

std::unique_ptr<EventQueue> OpenQueue(QueueBackend& backend, const ContractOptions& options = {}) {
  Result<std::unique_ptr<EventQueue>> q = backend.Open(options);
  RequireOk(q.status());
  REQUIRE(*q != nullptr);
  return std::move(q).value();
}

ContractOptions Reclaiming(ContractOptions o = {}) {
  o.reclaim_in_flight_on_open = true;
  return o;
}

std::optional<Delivery> TryReceive(EventQueue& q, milliseconds timeout) {
  Result<std::optional<Delivery>> r = q.Receive(timeout);
  RequireOk(r.status());
  return *r;
}

Delivery MustReceive(EventQueue& q, milliseconds timeout = kPatient) {
  std::optional<Delivery> d = TryReceive(q, timeout);
  REQUIRE(d.has_value());
  return *d;
}

void ExpectNothing(EventQueue& q, milliseconds wait = kBrief) {
  std::optional<Delivery> d = TryReceive(q, wait);
  INFO("unexpected delivery: " << (d ? d->message_id : std::string()));
  REQUIRE_FALSE(d.has_value());
}

QueueStats MustStats(EventQueue& q) {
  Result<QueueStats> s = q.Stats();
  RequireOk(s.status());
  return *s;
}

void RequireStats(EventQueue& q, int64_t ready, int64_t in_flight, int64_t dead) {
  QueueStats s = MustStats(q);
  CHECK(s.ready == ready);
  CHECK(s.in_flight == in_flight);
  CHECK(s.dead == dead);
}

std::vector<DeadLetter> MustListDead(EventQueue& q, size_t limit = 100) {
  Result<std::vector<DeadLetter>> r = q.ListDeadLetters(limit);
  RequireOk(r.status());
  return *r;
}

milliseconds Since(Clock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
}

int64_t UnixMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void PublishReceiveAck(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  RequireOk(q->Publish("m1", "{\"hello\":1}"));
  RequireStats(*q, 1, 0, 0);

  Delivery d = MustReceive(*q);
  CHECK(d.message_id == "m1");
  CHECK(d.body == "{\"hello\":1}");
  CHECK(d.attempt == 1);
  CHECK_FALSE(d.redelivered);
  RequireStats(*q, 0, 1, 0);

  RequireOk(q->Complete(d, Outcome::Ack()));
  RequireStats(*q, 0, 0, 0);
  ExpectNothing(*q);
}

void ReceiveTimesOutWhenEmpty(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  ExpectNothing(*q, milliseconds(0));
  auto t0 = Clock::now();
  ExpectNothing(*q, milliseconds(150));
  CHECK(Since(t0) >= milliseconds(140));  // it waited rather than returning at once
}

void WaitingReceiveGetsLaterPublish(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  std::optional<Delivery> got;
  bool ok = false;
  std::thread consumer([&] {
    Result<std::optional<Delivery>> r = q->Receive(kPatient);
    ok = r.ok();
    if (ok) got = *r;
  });
  std::this_thread::sleep_for(milliseconds(100));
  RequireOk(q->Publish("late", "body"));
  consumer.join();
  REQUIRE(ok);
  REQUIRE(got.has_value());
  CHECK(got->message_id == "late");
  RequireOk(q->Complete(*got, Outcome::Ack()));
}

void DeliversInPublishOrder(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  for (int i = 0; i < 10; ++i) RequireOk(q->Publish("m" + std::to_string(i), "b"));
  for (int i = 0; i < 10; ++i) {
    Delivery d = MustReceive(*q);
    CHECK(d.message_id == "m" + std::to_string(i));
    RequireOk(q->Complete(d, Outcome::Ack()));
  }
  ExpectNothing(*q);
}

void PublishIsDurableAcrossReopen(QueueBackend& backend) {
  {
    auto q = OpenQueue(backend);
    RequireOk(q->Publish("a", "body-a"));
    RequireOk(q->Publish("b", "body-b"));
  }
  auto q = OpenQueue(backend);
  RequireStats(*q, 2, 0, 0);
  Delivery a = MustReceive(*q);
  Delivery b = MustReceive(*q);
  CHECK(a.message_id == "a");
  CHECK(a.body == "body-a");
  CHECK(b.message_id == "b");
  CHECK(b.body == "body-b");
  CHECK(a.attempt == 1);
}

void UncompletedDeliveryIsRedeliveredAfterRestart(QueueBackend& backend) {
  {
    auto q = OpenQueue(backend);
    RequireOk(q->Publish("m1", "payload"));
    Delivery d = MustReceive(*q);
    CHECK(d.attempt == 1);
  }  // destroyed without Complete: the consumer "crashed"
  auto q = OpenQueue(backend, Reclaiming());
  Delivery again = MustReceive(*q);
  CHECK(again.message_id == "m1");
  CHECK(again.body == "payload");
  CHECK(again.attempt == 2);
  CHECK(again.redelivered);
  RequireOk(q->Complete(again, Outcome::Ack()));
  ExpectNothing(*q);
}

void RestartMidBatchLosesNothingAndAcksOnce(QueueBackend& backend) {
  constexpr int kMessages = 20;
  std::map<std::string, int> acked;
  std::set<std::string> left_in_flight;
  {
    auto q = OpenQueue(backend);
    for (int i = 0; i < kMessages; ++i) RequireOk(q->Publish("e" + std::to_string(i), "b"));
    for (int i = 0; i < 5; ++i) {
      Delivery d = MustReceive(*q);
      RequireOk(q->Complete(d, Outcome::Ack()));
      ++acked[d.message_id];
    }
    for (int i = 0; i < 3; ++i) left_in_flight.insert(MustReceive(*q).message_id);
  }  // crash with three deliveries in flight
  auto q = OpenQueue(backend, Reclaiming());
  while (std::optional<Delivery> d = TryReceive(*q, milliseconds(500))) {
    INFO(d->message_id);
    bool was_in_flight = left_in_flight.count(d->message_id) == 1;
    if (was_in_flight || backend.CrashCountsOnlyReceivedDeliveries()) {
      CHECK(d->attempt == (was_in_flight ? 2 : 1));
    } else {  // it may have sat in the crashed handle's prefetch buffer
      CHECK((d->attempt == 1 || d->attempt == 2));
    }
    CHECK(d->redelivered == (d->attempt > 1));
    RequireOk(q->Complete(*d, Outcome::Ack()));
    ++acked[d->message_id];
  }
  REQUIRE(acked.size() == kMessages);
  for (const auto& [id, count] : acked) {
    INFO(id);
    CHECK(count == 1);
  }
  RequireStats(*q, 0, 0, 0);
}

void VisibilityTimeoutRedelivers(QueueBackend& backend) {
  if (!backend.SupportsShortVisibilityTimeout()) {
    WARN("backend has no short visibility timeout; case skipped");
    return;
  }
  ContractOptions options;
  options.visibility_timeout = milliseconds(200);
  auto q = OpenQueue(backend, options);
  RequireOk(q->Publish("slow", "b"));
  auto t0 = Clock::now();
  Delivery first = MustReceive(*q);
  Delivery second = MustReceive(*q);
  CHECK(Since(t0) >= milliseconds(180));
  CHECK(second.message_id == "slow");
  CHECK(second.attempt == 2);
  CHECK(second.redelivered);
  // The first consumer finishing late must not ack the redelivered copy.
  RequireOk(q->Complete(first, Outcome::Ack()));
  RequireStats(*q, 0, 1, 0);
  RequireOk(q->Complete(second, Outcome::Ack()));
  RequireStats(*q, 0, 0, 0);
}

void RetryWaitsForDelay(QueueBackend& backend) {
  constexpr milliseconds kDelay{300};
  auto q = OpenQueue(backend);
  RequireOk(q->Publish("r", "b"));
  Delivery d = MustReceive(*q);
  auto t0 = Clock::now();
  RequireOk(q->Complete(d, Outcome::Retry(kDelay, "hub unavailable")));
  RequireStats(*q, 1, 0, 0);
  // Whenever it comes back, it must not be before the delay.
  std::optional<Delivery> again = TryReceive(*q, milliseconds(0));
  if (!again) again = TryReceive(*q, kPatient);
  REQUIRE(again.has_value());
  CHECK(Since(t0) >= kDelay - milliseconds(10));
  CHECK(again->message_id == "r");
  CHECK(again->attempt == 2);
  CHECK(again->redelivered);
  RequireOk(q->Complete(*again, Outcome::Ack()));
  RequireStats(*q, 0, 0, 0);
}

void AttemptsGrowOnEveryRedelivery(QueueBackend& backend) {
  ContractOptions options;
  options.max_attempts = 10;
  auto q = OpenQueue(backend, options);
  RequireOk(q->Publish("grow", "b"));
  for (int attempt = 1; attempt <= 4; ++attempt) {
    Delivery d = MustReceive(*q);
    CHECK(d.attempt == attempt);
    CHECK(d.redelivered == (attempt > 1));
    RequireOk(q->Complete(d, Outcome::Retry(milliseconds(0), "again")));
  }
  Delivery last = MustReceive(*q);
  CHECK(last.attempt == 5);
  RequireOk(q->Complete(last, Outcome::Ack()));
}

void DeliveryLimitDeadLetters(QueueBackend& backend) {
  ContractOptions options;
  options.max_attempts = 3;
  auto q = OpenQueue(backend, options);
  RequireOk(q->Publish("poison", "bad body"));
  for (int i = 0; i < 3; ++i) {
    Delivery d = MustReceive(*q);
    REQUIRE(d.message_id == "poison");
    RequireOk(q->Complete(d, Outcome::Retry(milliseconds(0), "store unavailable")));
  }
  RequireOk(q->Publish("healthy", "good body"));
  // The exhausted message is not delivered a fourth time; the next one is.
  Delivery next = MustReceive(*q);
  CHECK(next.message_id == "healthy");
  RequireOk(q->Complete(next, Outcome::Ack()));
  ExpectNothing(*q);

  std::vector<DeadLetter> dead = MustListDead(*q);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message_id == "poison");
  CHECK(dead[0].body == "bad body");
  CHECK(dead[0].attempts == 3);
  CHECK_THAT(dead[0].reason, Catch::StartsWith("delivery_limit: 3 attempts"));
  CHECK(dead[0].dead_at_ms > UnixMs() - 60'000);
  RequireStats(*q, 0, 0, 1);
}

void CrashLoopingMessageIsDeadLettered(QueueBackend& backend) {
  ContractOptions options = Reclaiming();
  options.max_attempts = 2;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto q = OpenQueue(backend, options);
    if (attempt == 1) RequireOk(q->Publish("crasher", "b"));
    Delivery d = MustReceive(*q);
    CHECK(d.attempt == attempt);
  }  // every consumer "crashes" while holding it
  auto q = OpenQueue(backend, options);
  ExpectNothing(*q);
  std::vector<DeadLetter> dead = MustListDead(*q);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message_id == "crasher");
  CHECK(dead[0].attempts == 2);
  CHECK_THAT(dead[0].reason, Catch::StartsWith("delivery_limit"));
}

void RejectDeadLetters(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  RequireOk(q->Publish("junk", "not json"));
  Delivery d = MustReceive(*q);
  RequireOk(q->Complete(d, Outcome::Reject("unparseable: body: not valid JSON (at byte 1)")));
  ExpectNothing(*q);
  std::vector<DeadLetter> dead = MustListDead(*q);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message_id == "junk");
  CHECK(dead[0].body == "not json");
  CHECK(dead[0].reason == "unparseable: body: not valid JSON (at byte 1)");
  CHECK(dead[0].attempts == 1);
  RequireStats(*q, 0, 0, 1);
}

void DeadLettersSurviveReopenAndRespectLimit(QueueBackend& backend) {
  {
    auto q = OpenQueue(backend);
    for (int i = 0; i < 3; ++i) {
      RequireOk(q->Publish("d" + std::to_string(i), "b"));
      RequireOk(q->Complete(MustReceive(*q), Outcome::Reject("reason " + std::to_string(i))));
    }
  }
  auto q = OpenQueue(backend);
  std::vector<DeadLetter> all = MustListDead(*q);
  REQUIRE(all.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(all[i].reason == "reason " + std::to_string(i));
  CHECK(MustListDead(*q, 2).size() == 2);
  CHECK(MustListDead(*q, 0).empty());
  RequireStats(*q, 0, 0, 3);
}

void StaleCompleteIsNoop(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  RequireOk(q->Publish("once", "b"));
  Delivery d = MustReceive(*q);
  RequireOk(q->Complete(d, Outcome::Ack()));
  // Completing again, in any way, changes nothing.
  RequireOk(q->Complete(d, Outcome::Ack()));
  RequireOk(q->Complete(d, Outcome::Reject("late reject")));
  RequireOk(q->Complete(d, Outcome::Retry(milliseconds(0), "late retry")));
  ExpectNothing(*q);
  CHECK(MustListDead(*q).empty());
  RequireStats(*q, 0, 0, 0);
}

void StaleCompleteAfterRestartIsNoop(QueueBackend& backend) {
  Delivery old;
  {
    auto q = OpenQueue(backend);
    RequireOk(q->Publish("x", "b"));
    old = MustReceive(*q);
  }
  auto q = OpenQueue(backend, Reclaiming());
  Delivery fresh = MustReceive(*q);
  REQUIRE(fresh.message_id == "x");
  REQUIRE(fresh.attempt == 2);
  RequireOk(q->Complete(old, Outcome::Ack()));
  RequireOk(q->Complete(old, Outcome::Reject("from a dead consumer")));
  RequireStats(*q, 0, 1, 0);
  RequireOk(q->Complete(fresh, Outcome::Ack()));
  RequireStats(*q, 0, 0, 0);
}

void DuplicatePublishIsDeduplicated(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  if (!backend.SupportsPublishDeduplication()) {
    WARN("backend does not deduplicate publishes; checking that every duplicate is delivered");
    RequireOk(q->Publish("dup", "first"));
    RequireOk(q->Publish("dup", "second"));
    RequireStats(*q, 2, 0, 0);
    Delivery a = MustReceive(*q);
    Delivery b = MustReceive(*q);
    CHECK(a.message_id == "dup");
    CHECK(b.message_id == "dup");
    CHECK(a.body == "first");
    CHECK(b.body == "second");
    RequireOk(q->Complete(a, Outcome::Ack()));
    RequireOk(q->Complete(b, Outcome::Ack()));
    ExpectNothing(*q);
    return;
  }
  RequireOk(q->Publish("dup", "first"));
  RequireOk(q->Publish("dup", "second"));
  RequireStats(*q, 1, 0, 0);
  Delivery d = MustReceive(*q);
  CHECK(d.body == "first");
  RequireOk(q->Publish("dup", "third"));  // still in flight: not queued again
  RequireStats(*q, 0, 1, 0);
  RequireOk(q->Complete(d, Outcome::Ack()));
  ExpectNothing(*q);
}

void BodiesAreOpaqueBytes(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  const std::string binary("a\0b\xff\xfe\n\"'\\ \xc3\xa9", 12);
  const std::string large(200 * 1024, 'z');
  RequireOk(q->Publish("binary", binary));
  RequireOk(q->Publish("empty", ""));
  RequireOk(q->Publish("large", large));
  CHECK(MustReceive(*q).body == binary);
  CHECK(MustReceive(*q).body.empty());
  CHECK(MustReceive(*q).body == large);
}

void TwoHandlesShareOneQueue(QueueBackend& backend) {
  auto producer = OpenQueue(backend);
  auto consumer = OpenQueue(backend);
  RequireOk(producer->Publish("shared", "b"));
  Delivery d = MustReceive(*consumer);
  CHECK(d.message_id == "shared");
  RequireOk(consumer->Complete(d, Outcome::Ack()));
  RequireStats(*producer, 0, 0, 0);
}

void ConcurrentProducersAndConsumersLoseNothing(QueueBackend& backend) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 50;
  constexpr int kTotal = kProducers * kPerProducer;
  auto shared = OpenQueue(backend);
  auto own = OpenQueue(backend);  // one consumer uses a handle of its own

  std::mutex mu;
  std::map<std::string, int> acked;
  std::atomic<int> acked_total{0};
  std::atomic<int> errors{0};
  const auto give_up = Clock::now() + std::chrono::seconds(60);

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        std::string id = "p" + std::to_string(p) + "-" + std::to_string(i);
        if (!shared->Publish(id, id).ok()) ++errors;
      }
    });
  }
  for (int c = 0; c < 3; ++c) {
    EventQueue* q = c == 2 ? own.get() : shared.get();
    threads.emplace_back([&, q] {
      while (acked_total.load() < kTotal && Clock::now() < give_up) {
        Result<std::optional<Delivery>> r = q->Receive(milliseconds(100));
        if (!r.ok()) {
          ++errors;
          continue;
        }
        if (!r->has_value()) continue;
        const Delivery& d = **r;
        if (d.body != d.message_id || !q->Complete(d, Outcome::Ack()).ok()) ++errors;
        std::lock_guard lock(mu);
        ++acked[d.message_id];
        ++acked_total;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  CHECK(errors.load() == 0);
  REQUIRE(acked.size() == kTotal);
  for (const auto& [id, count] : acked) {
    INFO(id);
    CHECK(count == 1);
  }
  RequireStats(*shared, 0, 0, 0);
}

// Ping answers on an open queue, and does not disturb what is queued.
void PingAnswers(QueueBackend& backend) {
  auto q = OpenQueue(backend);
  RequireOk(q->Ping());
  RequireOk(q->Publish("ping-1", "body"));
  RequireOk(q->Ping());
  Delivery d = MustReceive(*q);
  CHECK(d.message_id == "ping-1");
  RequireOk(q->Complete(d, Outcome::Ack()));
}

}  // namespace provbadge::queue::testing
