// Step 3b: the checkpoint (C2SP signed note) of an inclusion proof. The note text is
// origin, tree size, base64 root hash (and optional lines); after the blank line come
// signature lines "— <name> <base64(4-byte key hint || signature)>". A line counts only when
// its name is the log's origin, its hint is the log's key ID prefix and it verifies; other
// lines (witness cosignatures, unknown keys) are ignored, up to a bounded count. Then the
// note's size and root must equal the proof's.
#include <charconv>

#include "limits.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 EM DASH, space

struct Note {
  std::string_view text;  // signed bytes, including the final '\n'
  std::string_view origin;
  uint64_t size = 0;
  std::string root;
  std::vector<std::string_view> sig_lines;
};

bool ParseNote(std::string_view env, Note* n, Finding* fail) {
  auto bad = [&](std::string why) {
    Fail(fail, "sigstore.checkpoint.malformed", "the checkpoint is malformed: " + why);
    return false;
  };
  const size_t split = env.find("\n\n");
  if (split == std::string_view::npos) return bad("no blank line before the signatures");
  n->text = env.substr(0, split + 1);
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < n->text.size();) {
    const size_t nl = n->text.find('\n', pos);
    lines.push_back(n->text.substr(pos, nl - pos));
    pos = nl + 1;
    if (lines.size() > limits::kMaxCheckpointNoteLines) return bad("too many lines");
  }
  if (lines.size() < 3) return bad("origin, size or root hash line missing");
  n->origin = lines[0];
  if (n->origin.empty()) return bad("empty origin line");
  const std::string_view size = lines[1];
  auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), n->size);
  if (ec != std::errc() || ptr != size.data() + size.size() || size.empty()) {
    return bad("the tree size line is not a decimal number");
  }
  if (!StrictBase64Decode(lines[2], &n->root) || n->root.size() != 32) {
    return bad("the root hash line is not a base64 SHA-256 hash");
  }
  std::string_view sigs = env.substr(split + 2);
  while (!sigs.empty()) {
    const size_t nl = sigs.find('\n');
    if (nl == std::string_view::npos) return bad("a signature line lacks its newline");
    if (n->sig_lines.size() >= limits::kMaxCheckpointSignatures) {
      Fail(fail, "sigstore.checkpoint.too_many_signatures",
           "the checkpoint carries more signature lines than accepted",
           "<= " + std::to_string(limits::kMaxCheckpointSignatures));
      return false;
    }
    n->sig_lines.push_back(sigs.substr(0, nl));
    sigs.remove_prefix(nl + 1);
  }
  return true;
}

// True when the line is the log's and its signature verifies over the note text.
bool LineVerifies(std::string_view line, const TlogKey& log, const Note& n) {
  if (line.substr(0, kDash.size()) != kDash) return false;
  line.remove_prefix(kDash.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || line.substr(0, space) != log.origin) return false;
  std::string raw;
  if (!StrictBase64Decode(line.substr(space + 1), &raw) || raw.size() <= 4) return false;
  const std::string& id = log.checkpoint_key_id.empty() ? log.log_id : log.checkpoint_key_id;
  if (id.size() < 4 || raw.compare(0, 4, id, 0, 4) != 0) return false;
  return VerifySig(log.key.get(), DefaultMd(log.key.get()), n.text,
                   std::string_view(raw).substr(4));
}

}  // namespace

bool VerifyCheckpoint(const TrustedRoot::Impl& root, const TlogEntry& e, Finding* fail) {
  const TlogKey* log = FindTlog(root, e.log_id);
  if (log == nullptr) {
    Fail(fail, "sigstore.tlog.unknown_log", "the tlog entry names a log the trusted root lacks", "",
         Hex(e.log_id));
    return false;
  }
  Note note;
  if (!ParseNote(e.proof->checkpoint, &note, fail)) return false;
  if (note.origin != log->origin && note.origin.rfind(log->origin + " - ", 0) != 0) {
    Fail(fail, "sigstore.checkpoint.origin", "the checkpoint's origin is not the log's",
         log->origin, std::string(note.origin));
    return false;
  }
  bool verified = false;
  for (std::string_view line : note.sig_lines) {
    if (LineVerifies(line, *log, note)) {
      verified = true;
      break;
    }
  }
  if (!verified) {
    Fail(fail, "sigstore.checkpoint.signature",
         "no checkpoint signature line from the log verifies", log->origin);
    return false;
  }
  if (note.size != static_cast<uint64_t>(e.proof->tree_size) || note.root != e.proof->root_hash) {
    Fail(fail, "sigstore.checkpoint.root_mismatch",
         "the checkpoint's tree size or root hash differs from the inclusion proof's",
         std::to_string(e.proof->tree_size) + " " + Hex(e.proof->root_hash),
         std::to_string(note.size) + " " + Hex(note.root));
    return false;
  }
  return true;
}

}  // namespace provbadge::verifier::sigstore
