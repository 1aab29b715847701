{
    "dsseEnvelope": {
        "payload": "ewogICJfdHlwZSI6ICJodHRwczovL2luLXRvdG8uaW8vU3RhdGVtZW50L3YxIiwKICAicHJlZGljYXRlIjogewogICAgInJlc291cmNlcyI6IFsKICAgICAgewogICAgICAgICJhbGdvcml0aG0iOiAic2hhMjU2IiwKICAgICAgICAiZGlnZXN0IjogIjFkMGNlODg5MzhjMmJmYTYwNGZiMDM5Nzg4YjA4NDQzOWRjYzAxODhjZWI3MzAxYjliYmNkMmIwYTQ5MTliYjkiLAogICAgICAgICJuYW1lIjogIlJFQURNRS5tZCIKICAgICAgfSwKICAgICAgewogICAgICAgICJhbGdvcml0aG0iOiAic2hhMjU2IiwKICAgICAgICAiZGlnZXN0IjogImRjNzg3M2Y4ZDkwYmQxMDExNTU2ZDgyZDk2OWFjMzNlNzcxNGRjMzdkYTdkNjBmYTY0MWZmZTc5MzUzMDQwOWYiLAogICAgICAgICJuYW1lIjogInByb3ZlbmFuY2UuaW50b3RvLmpzb25sIgogICAgICB9LAogICAgICB7CiAgICAgICAgImFsZ29yaXRobSI6ICJzaGEyNTYiLAogICAgICAgICJkaWdlc3QiOiAiNTE3NGI0MjQ4OGMzNjY2ZGYyMzgxYmFmZWUwYTExZTdiNjdkZWY0OWEwNDc1MjdlMGZkZTkxZjFlYzkxYmJmMSIsCiAgICAgICAgIm5hbWUiOiAidGlueS1sbGFtYS1jaGF0LVE0X0tfTS5nZ3VmIgogICAgICB9CiAgICBdLAogICAgInNlcmlhbGl6YXRpb24iOiB7CiAgICAgICJhbGxvd19zeW1saW5rcyI6IGZhbHNlLAogICAgICAiaGFzaF90eXBlIjogInNoYTI1NiIsCiAgICAgICJpZ25vcmVfcGF0aHMiOiBbCiAgICAgICAgIi5naXQiLAogICAgICAgICIuZ2l0YXR0cmlidXRlcyIsCiAgICAgICAgIi5naXRodWIiLAogICAgICAgICIuZ2l0aWdub3JlIiwKICAgICAgICAibW9kZWwuc2lnIgogICAgICBdLAogICAgICAibWV0aG9kIjogImZpbGVzIgogICAgfQogIH0sCiAgInByZWRpY2F0ZVR5cGUiOiAiaHR0cHM6Ly9tb2RlbF9zaWduaW5nL3NpZ25hdHVyZS92MS4wIiwKICAic3ViamVjdCI6IFsKICAgIHsKICAgICAgImRpZ2VzdCI6IHsKICAgICAgICAic2hhMjU2IjogIjdlYjY5ZDQxYjNhNDU5ODcxNTUwMGRiYjJmZTIyYmEyNjg4ZmU5YWViYzdhYjk0OTUzNDY1ZWZhZTZhMzk1NWEiCiAgICAgIH0sCiAgICAgICJuYW1lIjogIjlkZjkzNjE3NTZkMDc4ZGU1ZWJlNWM3N2ZlNzRhYmFiZTdiM2NiYjAiCiAgICB9CiAgXQp9",
        "payloadType": "application/vnd.in-toto+json",
        "signatures": [
            {
                "keyid": "",
                "sig": "MEQCICq+vu9jVHV2BAG2pw3YPf4CSCMyCNc8lKZof30+h1dpAiA8+N4zE0wFGqbuGkqsECEAjRB6ymTvfjBXAxuFyDiiwQ=="
            }
        ]
    },
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {
        "publicKey": {
            "hint": "8c07becb3e3c96c9288477ec82f059a329a5b0bafce476b27a72afdb5cd6f22e"
        },
        "tlogEntries": []
    }
}
