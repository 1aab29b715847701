// `provbadge hash`: the OMS manifest of a local folder through the digest engine.
#include <filesystem>

#include "provbadge/verifier/manifest.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/oms_manifest.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

int RunHash(const HashArgs& args, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  const fs::file_status st = fs::status(args.dir, ec);
  if (ec || (!fs::is_directory(st) && !fs::is_regular_file(st))) {
    err << "provbadge hash: " << args.dir << ": not a folder or file\n";
    return 2;
  }
  verifier::OmsSerialization ser;
  ser.shards = args.shard_size > 0;
  ser.shard_size = ser.shards ? args.shard_size : verifier::kDefaultShardSize;
  ser.hash =
      args.hash == "blake2b" ? verifier::HashAlgorithm::kBlake2b : verifier::HashAlgorithm::kSha256;
  // A single file is hashed from its folder and named "." (model_signing's single-file form).
  std::string root = args.dir;
  std::string single;
  if (fs::is_regular_file(st)) {
    const fs::path p = fs::absolute(args.dir, ec);
    root = p.parent_path().string();
    single = p.filename().string();
  }
  DirectorySource source(root, nullptr);
  verifier::ManifestOptions options;
  options.threads = args.threads;
  options.rehash = verifier::RehashMode::kAlways;
  verifier::Manifest manifest(source, options);
  // As model_signing: git metadata and the signature file are never part of the manifest.
  std::vector<std::string> ignores = {".git", ".gitattributes", ".github", ".gitignore",
                                      std::string(verifier::kModelSignatureFile)};
  ignores.insert(ignores.end(), args.ignore_paths.begin(), args.ignore_paths.end());
  auto items = verifier::SerializeOms(manifest, ser, ignores, single);
  if (!items.ok()) {
    err << "provbadge hash: " << items.error().message() << "\n";
    return 1;
  }
  out << (args.json ? verifier::ManifestJson(*items, ser) : verifier::ManifestLines(*items));
  return 0;
}

}  // namespace provbadge::worker
