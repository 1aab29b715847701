// `provbadge fidelity --source DIR --gguf FILE [--json] [--threads N]`: checks that a local GGUF is
// the faithful llama.cpp quantization of a local safetensors source (faithfulness, not safety).
#include <filesystem>

#include "provbadge/verifier/fidelity.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

int RunFidelity(const FidelityArgs& args, std::ostream& out, std::ostream& err) {
  if (!fs::is_directory(args.source)) {
    err << "provbadge fidelity: --source " << args.source << ": not a folder\n";
    return 2;
  }
  std::error_code ec;
  if (!fs::is_regular_file(args.gguf, ec)) {
    err << "provbadge fidelity: --gguf " << args.gguf << ": not a file\n";
    return 2;
  }
  const fs::path gguf = fs::absolute(args.gguf, ec);
  DirectorySource source(args.source, nullptr);
  DirectorySource quantized(gguf.parent_path().string(), nullptr);
  verifier::FidelityOptions options;
  options.threads = args.threads;
  auto report = verifier::CheckFidelity(source, quantized, gguf.filename().string(), options);
  if (!report.ok()) {
    err << "provbadge fidelity: " << report.error().message() << "\n";
    return 1;
  }
  report->gguf_path = args.gguf;
  out << (args.json ? verifier::FidelityReportToJson(*report) + "\n"
                    : verifier::FidelityReportToText(*report));
  return report->verdict == verifier::FidelityVerdict::kFaithful ? 0 : 1;
}

}  // namespace provbadge::worker
