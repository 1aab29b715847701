// rabbitmq-c value conversions (amqp_codec.h).
#include "amqp_codec.h"

#include <optional>

namespace provbadge::queue::internal {
namespace {

std::optional<int64_t> AsInteger(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_I8:
      return v.value.i8;
    case AMQP_FIELD_KIND_U8:
      return v.value.u8;
    case AMQP_FIELD_KIND_I16:
      return v.value.i16;
    case AMQP_FIELD_KIND_U16:
      return v.value.u16;
    case AMQP_FIELD_KIND_I32:
      return v.value.i32;
    case AMQP_FIELD_KIND_U32:
      return v.value.u32;
    case AMQP_FIELD_KIND_I64:
      return v.value.i64;
    case AMQP_FIELD_KIND_U64:
      return static_cast<int64_t>(v.value.u64);
    case AMQP_FIELD_KIND_TIMESTAMP:
      return static_cast<int64_t>(v.value.u64);
    default:
      return std::nullopt;
  }
}

}  // namespace

amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}
std::string FromBytes(amqp_bytes_t b) {
  return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

Table::Table(const Headers& headers) {
  keys.reserve(headers.size());
  for (const auto& [key, value] : headers) {
    keys.push_back(key);
    amqp_table_entry_t e{};
    e.key = Bytes(keys.back());
    if (const int64_t* i = std::get_if<int64_t>(&value)) {
      e.value.kind = AMQP_FIELD_KIND_I64;
      e.value.value.i64 = *i;
    } else {
      e.value.kind = AMQP_FIELD_KIND_UTF8;
      e.value.value.bytes = Bytes(std::get<std::string>(value));
    }
    entries.push_back(e);
  }
  table.num_entries = static_cast<int>(entries.size());
  table.entries = entries.empty() ? nullptr : entries.data();
}

Headers ReadHeaders(const amqp_table_t& table) {
  Headers out;
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& e = table.entries[i];
    std::string key = FromBytes(e.key);
    if (std::optional<int64_t> n = AsInteger(e.value)) {
      out[key] = *n;
    } else if (e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES) {
      out[key] = FromBytes(e.value.value.bytes);
    } else if (key == "x-death" && e.value.kind == AMQP_FIELD_KIND_ARRAY &&
               e.value.value.array.num_entries > 0 &&
               e.value.value.array.entries[0].kind == AMQP_FIELD_KIND_TABLE) {
      Headers first = ReadHeaders(e.value.value.array.entries[0].value.table);
      if (auto t = first.find("time"); t != first.end()) out["x-death.time"] = t->second;
    }
  }
  return out;
}

AmqpMessage FromMessage(const amqp_message_t& m, uint64_t tag, bool redelivered) {
  AmqpMessage out;
  out.delivery_tag = tag;
  out.redelivered = redelivered;
  out.body = FromBytes(m.body);
  if (m.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    out.message_id = FromBytes(m.properties.message_id);
  }
  if (m.properties._flags & AMQP_BASIC_HEADERS_FLAG)
    out.headers = ReadHeaders(m.properties.headers);
  return out;
}

}  // namespace provbadge::queue::internal
