// FakeHubServer: blocking Beast server, one thread per connection (tests only).
#include "fake_hub_server.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

namespace provbadge::testing {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    static const char* k = "0123456789abcdef";
    hex += {k[md[i] >> 4], k[md[i] & 0xf]};
  }
  return hex;
}

std::string Decode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

class FakeHubServer::Impl {
 public:
  Impl(std::string root, std::string token) : root_(std::move(root)), token_(std::move(token)) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~Impl() {
    stopping_ = true;
    {
      // Wake the blocking accept with a connection of our own.
      beast::error_code ec;
      tcp::socket wake(ioc_);
      wake.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    }
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (auto* s : sockets_) {
        beast::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
      }
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  uint16_t port() const { return port_; }
  FakeHubKnobs knobs;

 private:
  void AcceptLoop() {
    while (!stopping_) {
      beast::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      std::lock_guard lock(mu_);
      threads_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
    }
  }

  void Serve(tcp::socket socket) {
    {
      std::lock_guard lock(mu_);
      sockets_.push_back(&socket);
    }
    beast::flat_buffer buffer;
    for (;;) {
      Request req;
      beast::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      if (!Answer(socket, req)) break;
    }
    std::lock_guard lock(mu_);
    sockets_.erase(std::find(sockets_.begin(), sockets_.end(), &socket));
  }

  static bool Take(std::atomic<int>& counter) {
    int n = counter.load();
    while (n > 0) {
      if (counter.compare_exchange_weak(n, n - 1)) return true;
    }
    return false;
  }

  // Writes the answer; false when the connection must close.
  bool Answer(tcp::socket& socket, const Request& req) {
    if (int d = knobs.delay_ms.load(); d > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(d));
    Response res{http::status::ok, req.version()};
    res.keep_alive(req.keep_alive());
    std::string target(req.target());
    bool truncate = false;
    if (knobs.down || Take(knobs.fail_next)) {
      res.result(http::status::service_unavailable);
    } else if (Take(knobs.throttle_next)) {
      res.result(http::status::too_many_requests);
      res.set(http::field::retry_after, "0");
    } else if (target.rfind("/cdn/", 0) != 0 && !token_.empty() &&
               std::string(req[http::field::authorization]) != "Bearer " + token_) {
      ++knobs.unauthorized;
      res.result(http::status::unauthorized);
    } else {
      truncate = Route(req, target, res);
    }
    beast::error_code ec;
    if (!truncate) {
      if (res.result() != http::status::ok && res.result() != http::status::partial_content &&
          res.body().empty()) {
        res.body() = "{\"error\":\"fake\"}";
      }
      res.prepare_payload();
      PadHeader(res);
      http::write(socket, res, ec);
      return !ec && res.keep_alive();
    }
    // Full Content-Length announced, half the body sent, then the connection closes.
    res.prepare_payload();
    std::string body = res.body();
    res.body() = body.substr(0, body.size() / 2);
    http::response_serializer<http::string_body> sr{res};
    res.content_length(body.size());
    http::write(socket, sr, ec);
    return false;
  }

  // With knobs.header_bytes: X-Pad-<i> fields (Beast keeps each field under 64 KiB) make the
  // header fields (after the status line, up to and with the blank line: what Beast's header
  // limit counts) exactly that long.
  void PadHeader(Response& res) {
    const int want = knobs.header_bytes.load();
    for (int i = 0; want > 0; ++i) {
      std::ostringstream out;
      out << res.base();
      const std::string header = out.str();
      const size_t have = header.size() - (header.find("\r\n") + 2);
      const std::string name = "X-Pad-" + std::to_string(i);
      const size_t overhead = name.size() + 4;  // ": " and CRLF
      if (static_cast<size_t>(want) < have + overhead + 1) return;
      res.set(name, std::string(std::min<size_t>(want - have - overhead, 30000), 'p'));
    }
  }

  // Fills `res`; true when the body must be truncated.
  bool Route(const Request& req, const std::string& target, Response& res) {
    std::string path = target.substr(0, target.find('?'));
    std::string query =
        target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    auto parts = Split(path);  // parts[0] is "" (leading '/')
    if (parts.size() == 7 && parts[1] == "api" && parts[2] == "models" && parts[5] == "revision") {
      const int hop = query.rfind("hop=", 0) == 0 ? std::stoi(query.substr(4)) : 0;
      if (hop < knobs.redirect_hops) {
        res.result(http::status::found);
        res.set(http::field::location, "http://127.0.0.1:" + std::to_string(port_) + path +
                                           "?hop=" + std::to_string(hop + 1));
        return false;
      }
      return Revision(parts[3] + "/" + parts[4], Decode(parts[6]), res);
    }
    if (parts.size() == 7 && parts[1] == "api" && parts[2] == "models" && parts[5] == "tree") {
      return Tree(parts[3] + "/" + parts[4], parts[6], query, res);
    }
    if (parts.size() >= 6 && parts[3] == "resolve") {
      std::string repo = parts[1] + "/" + parts[2];
      std::string file = Decode(path.substr(path.find("/resolve/") + 9 + 41));
      if (knobs.redirect_files) {
        ++knobs.file_requests;
        res.result(http::status::found);
        res.set(http::field::location, "http://localhost:" + std::to_string(port_) + "/cdn/" +
                                           repo + "/" + parts[4] + "/" + file);
        return false;
      }
      return File(repo, parts[4], file, req, res);
    }
    if (parts.size() >= 6 && parts[1] == "cdn") {
      if (!req[http::field::authorization].empty()) ++knobs.cdn_with_authorization;
      std::string prefix = "/cdn/" + parts[2] + "/" + parts[3] + "/" + parts[4] + "/";
      return File(parts[2] + "/" + parts[3], parts[4], Decode(path.substr(prefix.size())), req,
                  res);
    }
    res.result(http::status::not_found);
    return false;
  }

  bool Revision(const std::string& repo, std::string ref, Response& res) {
    if (ref.rfind("refs/heads/", 0) == 0) ref = ref.substr(11);
    fs::path refs = fs::path(root_) / repo / "refs.json";
    auto json = nlohmann::json::parse(ReadFile(refs), nullptr, false);
    if (!json.is_object() || !json.contains(ref)) {
      res.result(http::status::not_found);
      return false;
    }
    res.body() = nlohmann::json{{"id", repo}, {"sha", json[ref]}}.dump();
    return false;
  }

  bool Tree(const std::string& repo, const std::string& commit, const std::string& query,
            Response& res) {
    fs::path dir = fs::path(root_) / repo / commit;
    if (commit.find('.') != std::string::npos || !fs::is_directory(dir)) {
      res.result(http::status::not_found);
      return false;
    }
    std::vector<nlohmann::json> entries;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      std::string rel = fs::relative(e.path(), dir).string();
      if (e.is_directory()) {
        entries.push_back({{"type", "directory"}, {"path", rel}, {"size", 0}, {"oid", "0"}});
        continue;
      }
      std::string data = ReadFile(e.path());
      nlohmann::json entry = {{"type", "file"}, {"path", rel}, {"size", data.size()}, {"oid", "x"}};
      if (data.size() >= knobs.lfs_threshold) {
        entry["lfs"] = {{"oid", Sha256Hex(data)}, {"size", data.size()}, {"pointerSize", 130}};
      }
      entries.push_back(entry);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a["path"] < b["path"]; });
    size_t cursor = 0;
    if (auto at = query.find("cursor="); at != std::string::npos) {
      cursor = std::stoul(query.substr(at + 7));
    }
    size_t page = static_cast<size_t>(std::max(1, knobs.page_size.load()));
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = cursor; i < entries.size() && i < cursor + page; ++i) out.push_back(entries[i]);
    if (cursor + page < entries.size()) {
      res.set(http::field::link,
              "<http://127.0.0.1:" + std::to_string(port_) + "/api/models/" + repo + "/tree/" +
                  commit + "?recursive=true&expand=false&cursor=" + std::to_string(cursor + page) +
                  ">; rel=\"next\"");
    }
    res.body() = out.dump();
    return false;
  }

  bool File(const std::string& repo, const std::string& commit, const std::string& file,
            const Request& req, Response& res) {
    ++knobs.file_requests;
    fs::path p = fs::path(root_) / repo / commit / file;
    if (file.find("..") != std::string::npos || !fs::is_regular_file(p)) {
      res.result(http::status::not_found);
      return false;
    }
    std::string data = ReadFile(p);
    std::string range(req[http::field::range]);
    if (!range.empty() && !knobs.ignore_range && range.rfind("bytes=", 0) == 0) {
      size_t dash = range.find('-');
      uint64_t first = std::stoull(range.substr(6, dash - 6));
      uint64_t last =
          dash + 1 < range.size() ? std::stoull(range.substr(dash + 1)) : data.size() - 1;
      last = std::min<uint64_t>(last, data.size() - 1);
      if (first > last) {
        res.result(http::status::range_not_satisfiable);
        res.set(http::field::content_range, "bytes */" + std::to_string(data.size()));
        return false;
      }
      res.result(http::status::partial_content);
      res.set(http::field::content_range, "bytes " + std::to_string(first) + "-" +
                                              std::to_string(last) + "/" +
                                              std::to_string(data.size()));
      res.body() = data.substr(first, last - first + 1);
    } else {
      res.body() = data;
    }
    return Take(knobs.truncate_next);
  }

  std::string root_;
  std::string token_;
  net::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<tcp::socket*> sockets_;
};

FakeHubServer::FakeHubServer(std::string mirror_root, std::string token)
    : impl_(std::make_unique<Impl>(std::move(mirror_root), std::move(token))) {}
FakeHubServer::~FakeHubServer() = default;
uint16_t FakeHubServer::port() const { return impl_->port(); }
FakeHubKnobs& FakeHubServer::knobs() { return impl_->knobs; }

}  // namespace provbadge::testing
