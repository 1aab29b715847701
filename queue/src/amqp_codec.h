// Conversions between the queue's own types (amqp_connection.h) and rabbitmq-c 0.11 values:
// byte strings, field tables (headers and arguments) and received messages.
//
// Ownership: amqp_bytes_t values returned by Bytes() and the table of a Table borrow the
// strings they were made from (Table owns its copies of the keys); the caller keeps those
// alive while rabbitmq-c uses them. Thread-safety: pure functions, no shared state.
#ifndef PROVBADGE_QUEUE_SRC_AMQP_CODEC_H_
#define PROVBADGE_QUEUE_SRC_AMQP_CODEC_H_

#include <amqp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "amqp_connection.h"

namespace provbadge::queue::internal {

// A view of `s` for rabbitmq-c (not a copy).
amqp_bytes_t Bytes(const std::string& s);
std::string FromBytes(amqp_bytes_t b);

// Owns the entries of an amqp_table_t built from Headers.
struct Table {
  explicit Table(const Headers& headers);
  Table(const Table&) = delete;  // `table` points into the vectors
  Table& operator=(const Table&) = delete;
  std::vector<std::string> keys;
  std::vector<amqp_table_entry_t> entries;
  amqp_table_t table{};
};

// Integers of every width and strings; x-death is summarised as x-death.time (Unix seconds).
Headers ReadHeaders(const amqp_table_t& table);
AmqpMessage FromMessage(const amqp_message_t& m, uint64_t tag, bool redelivered);

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_AMQP_CODEC_H_
