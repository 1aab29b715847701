// The BadgeStore contract, part 2: the HTTP read (GetBadgeJson), the signed verdict field,
// the lineage cache, the lineage index, revocations, and what PurgeRepo/MoveRepo do to them.
// Included by badge_store_contract.h only (it uses that file's helpers); its cases run in
// RunBadgeStoreContract with the others, against every implementation.
#ifndef PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_LINEAGE_H_
#define PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_LINEAGE_H_

#ifndef PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_H_
#error "include badges/badge_store_contract.h instead"
#endif

namespace provbadge::badges::contract {

inline const std::string kDigest1 = std::string(64, '1');
inline const std::string kDigest2 = std::string(64, '2');
// Names a web tier or a key layout could trip over: key separators, hash-tag braces, escapes.
inline const std::vector<std::string> kHostileNames = {
    "a:b", "a}:{b", "{org/model}", "%7B", "%", "x\ny", "o'rg\"; DROP TABLE lineage;--", "\xC3\xA9"};

inline std::optional<std::string> MustGetBadgeJson(BadgeStore& store,
                                                   const std::string& ref_or_commit, bool by_ref,
                                                   const std::string& repo = kRepo) {
  Result<std::optional<std::string>> r = store.GetBadgeJson(repo, ref_or_commit, by_ref);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline std::optional<std::string> MustGetNode(BadgeStore& store, const std::string& repo,
                                              const std::string& commit,
                                              const std::string& digest = kDigest1) {
  Result<std::optional<std::string>> r = store.GetCachedNode(repo, commit, digest);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline std::vector<RevisionKey> MustChildren(BadgeStore& store, const RevisionKey& parent) {
  Result<std::vector<RevisionKey>> r = store.Children(parent);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline std::vector<RevisionKey> MustSignedBy(BadgeStore& store, const std::string& signer) {
  Result<std::vector<RevisionKey>> r = store.SignedBy(signer);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline std::vector<Revocation> MustRevocations(BadgeStore& store) {
  Result<std::vector<Revocation>> r = store.ListRevocations();
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline Revocation RevokeRevision(const std::string& repo, const std::string& commit,
                                 const std::string& reason = "leaked key") {
  return Revocation{"revision", repo, commit, "", reason, "2024-06-01T00:00:00Z"};
}

inline Revocation RevokeSigner(const std::string& signer,
                               const std::string& reason = "compromised") {
  return Revocation{"signer", "", "", signer, reason, "2024-06-02T00:00:00Z"};
}

inline void ContractVsaRoundTrip(StoreBackend& backend) {
  auto store = backend.Open();
  BadgeRecord rec = MakeRecord(kCommitA, 3, BadgeState::kVerified, "main");
  rec.vsa_json =
      R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]})";
  MustPut(*store, rec);
  CHECK(MustGetRevision(*store, kCommitA)->vsa_json == rec.vsa_json);
  CHECK(MustGetRef(*store, "main")->vsa_json == rec.vsa_json);
  BadgeRecord stale = MakeRecord(kCommitA, 2, BadgeState::kFailed);
  stale.vsa_json = "{\"stale\":true}";
  CHECK(MustPut(*store, stale) == PutResult::kStale);
  CHECK(MustGetRevision(*store, kCommitA)->vsa_json == rec.vsa_json);
  // A newer record without a verdict (verdicts switched off) replaces it: never a verdict of
  // another event next to this badge.
  MustPut(*store, MakeRecord(kCommitA, 4, BadgeState::kFailed));
  CHECK(MustGetRevision(*store, kCommitA)->vsa_json.empty());
}

inline void ContractGetBadgeJson(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK_FALSE(MustGetBadgeJson(*store, "main", true).has_value());
  CHECK_FALSE(MustGetBadgeJson(*store, kCommitA, false).has_value());
  BadgeRecord a = MakeRecord(kCommitA, 1, BadgeState::kVerified, "main");
  MustPut(*store, a);
  CHECK(MustGetBadgeJson(*store, kCommitA, false) == BadgeToJson(a.badge));
  CHECK(MustGetBadgeJson(*store, "main", true) == BadgeToJson(a.badge));
  CHECK_FALSE(MustGetBadgeJson(*store, "main", false).has_value());   // "main" is not a commit
  CHECK_FALSE(MustGetBadgeJson(*store, kCommitA, true).has_value());  // nor a commit a ref
  CHECK_FALSE(MustGetBadgeJson(*store, "dev", true).has_value());
  CHECK_FALSE(MustGetBadgeJson(*store, "main", true, "org/other").has_value());
  // The pointer moves; a stale write changes nothing; a newer write to the commit shows.
  BadgeRecord b = MakeRecord(kCommitB, 5, BadgeState::kFailed, "main");
  MustPut(*store, b);
  CHECK(MustGetBadgeJson(*store, "main", true) == BadgeToJson(b.badge));
  MustPut(*store, MakeRecord(kCommitB, 4, BadgeState::kVerified));
  CHECK(MustGetBadgeJson(*store, "main", true) == BadgeToJson(b.badge));
  BadgeRecord b2 = MakeRecord(kCommitB, 6, BadgeState::kVerified);
  MustPut(*store, b2);
  CHECK(MustGetBadgeJson(*store, "main", true) == BadgeToJson(b2.badge));
  CHECK(MustGetBadgeJson(*store, kCommitA, false) == BadgeToJson(a.badge));
  // The bytes equal the badge GetRef returns, re-serialised.
  CHECK(MustGetBadgeJson(*store, "main", true) == BadgeToJson(MustGetRef(*store, "main")->badge));
  MustOk(store->DeleteRef(kRepo, "main"));
  CHECK_FALSE(MustGetBadgeJson(*store, "main", true).has_value());
}

inline void ContractGetBadgeJsonHostile(StoreBackend& backend) {
  auto store = backend.Open();
  for (const std::string& name : kHostileNames) {
    const std::string repo = "org/" + name;
    BadgeRecord rec = MakeRecord(kCommitA, 1, BadgeState::kVerified, name, repo);
    MustPut(*store, rec);
    INFO(name);
    CHECK(MustGetBadgeJson(*store, name, true, repo) == BadgeToJson(rec.badge));
    CHECK(MustGetBadgeJson(*store, kCommitA, false, repo) == BadgeToJson(rec.badge));
  }
  CHECK_FALSE(MustGetBadgeJson(*store, "a", true, "org/a}:{b").has_value());
  CHECK_FALSE(MustGetBadgeJson(*store, "%", true, "org/%7B").has_value());
}

inline void ContractCachedNodes(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitA).has_value());
  MustOk(store->PutCachedNode(kRepo, kCommitA, kDigest1, "{\"n\":1}"));
  MustOk(store->PutCachedNode(kRepo, kCommitA, kDigest2, "{\"n\":2}"));
  MustOk(store->PutCachedNode(kRepo, kCommitB, kDigest1, "{\"n\":3}"));
  CHECK(MustGetNode(*store, kRepo, kCommitA) == "{\"n\":1}");
  CHECK(MustGetNode(*store, kRepo, kCommitA, kDigest2) == "{\"n\":2}");
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitA, std::string(64, '3')).has_value());
  CHECK_FALSE(MustGetNode(*store, "org/other", kCommitA).has_value());
  MustOk(store->PutCachedNode(kRepo, kCommitA, kDigest1, "{\"n\":4}"));  // overwrites
  CHECK(MustGetNode(*store, kRepo, kCommitA) == "{\"n\":4}");
  MustOk(store->DropCachedNodes(kRepo, kCommitA));  // every policy digest of that revision
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitA).has_value());
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitA, kDigest2).has_value());
  CHECK(MustGetNode(*store, kRepo, kCommitB) == "{\"n\":3}");
  MustOk(store->DropCachedNodes(kRepo, kCommitA));  // idempotent
  MustOk(store->DropCachedNodes("org/unknown", kCommitA));
  for (const auto& [repo, commit, digest] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"", kCommitA, kDigest1}, {kRepo, "", kDigest1}, {kRepo, kCommitA, ""}}) {
    Status put = store->PutCachedNode(repo, commit, digest, "{}");
    REQUIRE_FALSE(put.ok());
    CHECK(put.error().code() == ErrorCode::kInvalidInput);
    Result<std::optional<std::string>> get = store->GetCachedNode(repo, commit, digest);
    REQUIRE_FALSE(get.ok());
    CHECK(get.error().code() == ErrorCode::kInvalidInput);
  }
  // Keys and bytes are data.
  for (const std::string& name : kHostileNames) {
    MustOk(store->PutCachedNode("org/" + name, name, name, "node " + name));
  }
  for (const std::string& name : kHostileNames) {
    INFO(name);
    CHECK(MustGetNode(*store, "org/" + name, name, name) == "node " + name);
  }
}

inline void ContractLineageIndex(StoreBackend& backend) {
  auto store = backend.Open();
  const RevisionKey base{"org/base", kCommitA}, tune{"org/tune", kCommitB};
  const RevisionKey q1{"org/q1", kCommitA}, q2{"org/q2", kCommitB}, merge{"org/merge", kCommitA};
  CHECK(MustChildren(*store, base).empty());
  CHECK(MustSignedBy(*store, "acme").empty());
  MustOk(store->RecordLineage(tune, {base}, {"acme"}));
  MustOk(store->RecordLineage(q2, {tune}, {"quant", "acme"}));
  MustOk(store->RecordLineage(q1, {tune}, {"quant"}));
  MustOk(store->RecordLineage(merge, {base, tune}, {}));
  MustOk(store->RecordLineage(base, {}, {"trainer"}));  // a root: signers only
  for (int replay = 0; replay < 2; ++replay) {          // idempotent
    MustOk(store->RecordLineage(q1, {tune}, {"quant"}));
    MustOk(store->RecordLineage(q1, {}, {}));  // adds nothing, removes nothing
  }
  CHECK(MustChildren(*store, base) == std::vector<RevisionKey>{merge, tune});
  CHECK(MustChildren(*store, tune) == std::vector<RevisionKey>{merge, q1, q2});
  CHECK(MustChildren(*store, q1).empty());
  CHECK(MustChildren(*store, RevisionKey{"org/base", kCommitB}).empty());  // another commit
  CHECK(MustSignedBy(*store, "quant") == std::vector<RevisionKey>{q1, q2});
  CHECK(MustSignedBy(*store, "acme") == std::vector<RevisionKey>{q2, tune});
  CHECK(MustSignedBy(*store, "trainer") == std::vector<RevisionKey>{base});
  CHECK(MustSignedBy(*store, "acm").empty());
  // Invalid input changes nothing.
  for (const auto& bad : {store->RecordLineage(RevisionKey{"", kCommitA}, {base}, {"x"}),
                          store->RecordLineage(q1, {RevisionKey{"org/p", ""}}, {"x"}),
                          store->RecordLineage(q1, {base}, {""})}) {
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == ErrorCode::kInvalidInput);
  }
  CHECK(MustSignedBy(*store, "x").empty());
  CHECK(MustChildren(*store, base) == std::vector<RevisionKey>{merge, tune});
}

inline void ContractLineageHostileNames(StoreBackend& backend) {
  auto store = backend.Open();
  const RevisionKey parent{"org/p", kCommitA};
  std::vector<RevisionKey> children;
  for (const std::string& name : kHostileNames) {
    RevisionKey child{"org/" + name, name};
    children.push_back(child);
    MustOk(store->RecordLineage(child, {parent, RevisionKey{"org/" + name, kCommitB}}, {name}));
  }
  std::sort(children.begin(), children.end());
  CHECK(MustChildren(*store, parent) == children);
  for (const std::string& name : kHostileNames) {
    INFO(name);
    CHECK(MustSignedBy(*store, name) == std::vector<RevisionKey>{{"org/" + name, name}});
    CHECK(MustChildren(*store, RevisionKey{"org/" + name, kCommitB}) ==
          std::vector<RevisionKey>{{"org/" + name, name}});
  }
  // "a}:{b" must not alias "a" + "b" in any key.
  CHECK(MustSignedBy(*store, "a").empty());
  CHECK(MustSignedBy(*store, "{a}").empty());
}

inline void ContractLineageConcurrent(StoreBackend& backend) {
  auto first = backend.Open();
  auto second = backend.Open();
  const RevisionKey parent{"org/base", kCommitA};
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      BadgeStore& store = t % 2 == 0 ? *first : *second;
      for (int i = 0; i < kPerThread; ++i) {
        RevisionKey child{"org/q" + std::to_string(t * kPerThread + i), kCommitB};
        if (!store.RecordLineage(child, {parent}, {"quant"}).ok() ||
            !store.AddRevocation(RevokeSigner("shared", "thread " + std::to_string(t))).ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(std::count(failures.begin(), failures.end(), 0) == kThreads);
  CHECK(MustChildren(*first, parent).size() == kThreads * kPerThread);
  CHECK(MustSignedBy(*second, "quant").size() == kThreads * kPerThread);
  CHECK(MustRevocations(*first).size() == 1);
}

inline void ContractRevocations(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK(MustRevocations(*store).empty());
  MustOk(store->AddRevocation(RevokeSigner("quant:{evil}")));
  MustOk(store->AddRevocation(RevokeRevision("org/b", kCommitA)));
  MustOk(store->AddRevocation(RevokeRevision("org/a", kCommitB)));
  MustOk(store->AddRevocation(RevokeRevision("org/a", kCommitA, "second reason")));
  // Idempotent: the first one stays, with its reason and time.
  MustOk(store->AddRevocation(RevokeRevision("org/b", kCommitA, "other reason")));
  std::vector<Revocation> all = MustRevocations(*store);
  REQUIRE(all.size() == 4);
  CHECK(all[0].kind == "revision");
  CHECK(all[0].repo == "org/a");
  CHECK(all[0].commit == kCommitA);
  CHECK(all[0].reason == "second reason");
  CHECK(all[1].commit == kCommitB);
  CHECK(all[2].repo == "org/b");
  CHECK(all[2].reason == "leaked key");
  CHECK(all[2].created_at == "2024-06-01T00:00:00Z");
  CHECK(all[3].kind == "signer");
  CHECK(all[3].signer == "quant:{evil}");
  CHECK(all[3].repo.empty());
  for (const Revocation& bad :
       {Revocation{"repo", "org/a", kCommitA, "", "r", "t"}, Revocation{"", "", "", "", "r", "t"},
        Revocation{"revision", "org/a", "", "", "r", "t"},
        Revocation{"revision", "org/a", kCommitA, "acme", "r", "t"},
        Revocation{"signer", "", "", "", "r", "t"},
        Revocation{"signer", "org/a", "", "acme", "r", "t"}}) {
    Status s = store->AddRevocation(bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInvalidInput);
  }
  CHECK(MustRevocations(*store).size() == 4);
}

inline void ContractLineageReopen(StoreBackend& backend) {
  const RevisionKey parent{"org/base", kCommitA}, child{"org/q", kCommitB};
  {
    auto store = backend.Open();
    MustOk(store->RecordLineage(child, {parent}, {"quant"}));
    MustOk(store->PutCachedNode(parent.repo, parent.commit, kDigest1, "{}"));
    MustOk(store->AddRevocation(RevokeSigner("old")));
  }
  auto store = backend.Open();
  CHECK(MustChildren(*store, parent) == std::vector<RevisionKey>{child});
  CHECK(MustSignedBy(*store, "quant") == std::vector<RevisionKey>{child});
  CHECK(MustGetNode(*store, parent.repo, parent.commit) == "{}");
  CHECK(MustRevocations(*store).size() == 1);
}

// badge_store.h: PurgeRepo drops the repo's cached nodes and its revisions as children; its
// revisions as parents keep their children; revocations stay.
inline void ContractPurgeLineage(StoreBackend& backend) {
  auto store = backend.Open();
  const RevisionKey base{"org/base", kCommitA}, tune{kRepo, kCommitA}, tune_b{kRepo, kCommitB};
  const RevisionKey q{"org/q", kCommitB}, other{"org/model2", kCommitA};
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  MustOk(store->RecordLineage(tune, {base}, {"acme"}));
  MustOk(store->RecordLineage(tune_b, {tune}, {"acme"}));  // parent and child in the repo
  MustOk(store->RecordLineage(q, {tune}, {"quant"}));
  MustOk(store->RecordLineage(other, {base}, {"acme"}));
  MustOk(store->PutCachedNode(kRepo, kCommitA, kDigest1, "{}"));
  MustOk(store->PutCachedNode(kRepo, kCommitB, kDigest2, "{}"));
  MustOk(store->PutCachedNode("org/base", kCommitA, kDigest1, "{}"));
  MustOk(store->AddRevocation(RevokeRevision(kRepo, kCommitA)));
  MustOk(store->PurgeRepo(kRepo));
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitA).has_value());
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitB, kDigest2).has_value());
  CHECK(MustGetNode(*store, "org/base", kCommitA).has_value());
  CHECK(MustChildren(*store, base) == std::vector<RevisionKey>{other});
  CHECK(MustChildren(*store, tune) == std::vector<RevisionKey>{q});  // its child elsewhere stays
  CHECK(MustSignedBy(*store, "acme") == std::vector<RevisionKey>{other});
  CHECK(MustSignedBy(*store, "quant") == std::vector<RevisionKey>{q});
  CHECK(MustRevocations(*store).size() == 1);
  CHECK_FALSE(MustGetBadgeJson(*store, "main", true).has_value());
  MustOk(store->PurgeRepo(kRepo));  // idempotent
  CHECK(MustChildren(*store, tune) == std::vector<RevisionKey>{q});
}

// badge_store.h: MoveRepo drops the cached nodes of `from`, renames the index, and copies
// revision revocations.
inline void ContractMoveLineage(StoreBackend& backend) {
  auto store = backend.Open();
  const std::string to = "neworg/model";
  const RevisionKey base{"org/base", kCommitA}, tune{kRepo, kCommitA}, tune_b{kRepo, kCommitB};
  const RevisionKey q{"org/q", kCommitB};
  BadgeRecord rec = MakeRecord(kCommitA, 2, BadgeState::kVerified, "main");
  rec.vsa_json = "{\"vsa\":1}";
  MustPut(*store, rec);
  MustOk(store->RecordLineage(tune, {base}, {"acme"}));
  MustOk(store->RecordLineage(tune_b, {tune}, {"acme"}));
  MustOk(store->RecordLineage(q, {tune}, {"quant"}));
  MustOk(store->PutCachedNode(kRepo, kCommitA, kDigest1, "{}"));
  MustOk(store->AddRevocation(RevokeRevision(kRepo, kCommitA)));
  MustOk(store->AddRevocation(RevokeRevision(to, kCommitA, "already there")));
  MustOk(store->AddRevocation(RevokeRevision(kRepo, kCommitB, "b")));
  MustOk(store->MoveRepo(kRepo, to));
  const RevisionKey new_tune{to, kCommitA}, new_tune_b{to, kCommitB};
  CHECK_FALSE(MustGetNode(*store, kRepo, kCommitA).has_value());
  CHECK_FALSE(MustGetNode(*store, to, kCommitA).has_value());
  CHECK(MustChildren(*store, base) == std::vector<RevisionKey>{new_tune});
  CHECK(MustChildren(*store, tune).empty());
  CHECK(MustChildren(*store, new_tune) == std::vector<RevisionKey>{new_tune_b, q});
  CHECK(MustSignedBy(*store, "acme") == std::vector<RevisionKey>{new_tune, new_tune_b});
  CHECK(MustSignedBy(*store, "quant") == std::vector<RevisionKey>{q});
  std::vector<Revocation> all = MustRevocations(*store);
  REQUIRE(all.size() == 4);  // both of `from` kept, one copied, the existing one at `to` kept
  CHECK(all[0].repo == to);
  CHECK(all[0].reason == "already there");
  CHECK(all[1].repo == to);
  CHECK(all[1].commit == kCommitB);
  CHECK(all[2].repo == kRepo);
  CHECK(all[3].repo == kRepo);
  CHECK(MustGetRef(*store, "main", to)->vsa_json == rec.vsa_json);
  CHECK(MustGetBadgeJson(*store, "main", true, to) ==
        BadgeToJson(RenamedRecord(rec, kRepo, to).badge));
  CHECK_FALSE(MustGetBadgeJson(*store, "main", true).has_value());
  MustOk(store->MoveRepo(kRepo, to));  // idempotent
  CHECK(MustChildren(*store, new_tune) == std::vector<RevisionKey>{new_tune_b, q});
}

inline const std::vector<ContractCase>& LineageContractCases() {
  static const std::vector<ContractCase> kCases = {
      {"vsa_json is stored and follows the record", ContractVsaRoundTrip},
      {"get badge json returns the stored bytes", ContractGetBadgeJson},
      {"get badge json with hostile names", ContractGetBadgeJsonHostile},
      {"cached nodes by repo, commit and policy digest", ContractCachedNodes},
      {"lineage index: children and signed-by", ContractLineageIndex},
      {"lineage index: hostile signer and repo names", ContractLineageHostileNames},
      {"lineage index and revocations under concurrency", ContractLineageConcurrent},
      {"revocations are idempotent and validated", ContractRevocations},
      {"reopen keeps the lineage data", ContractLineageReopen},
      {"purge repo: cached nodes and index entries", ContractPurgeLineage},
      {"move repo: cached nodes, index entries and revocations", ContractMoveLineage},
  };
  return kCases;
}

}  // namespace provbadge::badges::contract

#endif  // PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_LINEAGE_H_
