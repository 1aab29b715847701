// A small, strict DER reader for the certificate and SCT structures the Sigstore steps walk
// by hand (the Fulcio leaf, the precertificate TBS). Only DER is accepted: low tag numbers,
// definite lengths in their minimal form (short form below 128, long form of at most 4 octets
// without leading zero octets), contents within the input. Nothing is copied: every view
// points into the caller's buffer, which must outlive it.
//
// Thread-safety: pure functions over caller-owned bytes.
#ifndef PROVBADGE_VERIFIER_SRC_SIGSTORE_DER_H_
#define PROVBADGE_VERIFIER_SRC_SIGSTORE_DER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace provbadge::verifier::sigstore::der {

// DER tags used here (universal class unless named otherwise).
inline constexpr unsigned char kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03,
                               kOctetString = 0x04, kNull = 0x05, kOid = 0x06, kUtf8 = 0x0c,
                               kUtcTime = 0x17, kGeneralizedTime = 0x18, kSequence = 0x30,
                               kSet = 0x31;
// Context-specific [n]: constructed 0xa0 | n, primitive 0x80 | n.
inline constexpr unsigned char Explicit(int n) { return static_cast<unsigned char>(0xa0 | n); }

struct Tlv {
  unsigned char tag = 0;
  std::string_view content;  // the value octets
  std::string_view whole;    // tag, length and value
};

// Reads one TLV from the front of *in and removes it. False (and *in unchanged) on any
// non-DER or truncated encoding.
bool Read(std::string_view* in, Tlv* out);
// As Read, and the tag must be `tag`.
bool Expect(std::string_view* in, unsigned char tag, Tlv* out);
// The next TLV has tag `tag` (no error when *in is empty or holds another tag).
bool NextIs(std::string_view in, unsigned char tag);
// `in` is exactly one TLV with tag `tag`; its content in *content.
bool Only(std::string_view in, unsigned char tag, std::string_view* content);

// INTEGER content in minimal two's-complement form (no redundant leading 0x00/0xff octet).
bool MinimalInteger(std::string_view content);
// A small non-negative INTEGER (at most 4 content octets).
bool SmallInteger(std::string_view content, int64_t* value);
// BOOLEAN content in DER: exactly one octet, 0x00 or 0xff.
bool Boolean(std::string_view content, bool* value);
// BIT STRING content: the unused-bits octet (0..7, 0 when there are no bits) and the bits.
bool BitString(std::string_view content, int* unused, std::string_view* bits);
// UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ) to Unix seconds.
bool Time(const Tlv& t, int64_t* unix_seconds);

// Appends a DER TLV (definite, minimal length) for `content` to *out.
void Put(std::string* out, unsigned char tag, std::string_view content);

}  // namespace provbadge::verifier::sigstore::der

#endif  // PROVBADGE_VERIFIER_SRC_SIGSTORE_DER_H_
