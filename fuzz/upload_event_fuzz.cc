// Upload events (queue/upload_event.h ParseUploadEvent): every queue message body, whoever
// enqueued it. Invariant: an accepted event survives a serialize/parse round trip unchanged.
#include "fuzz_support.h"
#include "provbadge/queue/upload_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  auto event = queue::ParseUploadEvent(fuzz::AsText(data, size));
  if (!event.ok()) return 0;
  auto again = queue::ParseUploadEvent(queue::SerializeUploadEvent(*event));
  fuzz::FuzzCheck(again.ok(), "a serialized event does not parse");
  fuzz::FuzzCheck(again->event_id == event->event_id && again->repo == event->repo &&
                      again->ref == event->ref && again->commit == event->commit &&
                      again->seq == event->seq && again->received_at == event->received_at &&
                      again->source == event->source,
                  "an event changed in a round trip");
  return 0;
}
