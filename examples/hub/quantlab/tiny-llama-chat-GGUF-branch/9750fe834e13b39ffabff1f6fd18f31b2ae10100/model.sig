{
    "dsseEnvelope": {
        "payload": "ewogICJfdHlwZSI6ICJodHRwczovL2luLXRvdG8uaW8vU3RhdGVtZW50L3YxIiwKICAicHJlZGljYXRlIjogewogICAgInJlc291cmNlcyI6IFsKICAgICAgewogICAgICAgICJhbGdvcml0aG0iOiAic2hhMjU2IiwKICAgICAgICAiZGlnZXN0IjogIjFkMGNlODg5MzhjMmJmYTYwNGZiMDM5Nzg4YjA4NDQzOWRjYzAxODhjZWI3MzAxYjliYmNkMmIwYTQ5MTliYjkiLAogICAgICAgICJuYW1lIjogIlJFQURNRS5tZCIKICAgICAgfSwKICAgICAgewogICAgICAgICJhbGdvcml0aG0iOiAic2hhMjU2IiwKICAgICAgICAiZGlnZXN0IjogIjZkYzZlNzQ1NDg0Y2U3OGNhNmUxMTcyZjJjN2NhMTIwNDhmMTUxMjVkZmIxOTYzOGVjNGVhYzIyMTQwM2FiMzMiLAogICAgICAgICJuYW1lIjogInByb3ZlbmFuY2UuaW50b3RvLmpzb25sIgogICAgICB9LAogICAgICB7CiAgICAgICAgImFsZ29yaXRobSI6ICJzaGEyNTYiLAogICAgICAgICJkaWdlc3QiOiAiZGZlOWVlZTM4ZTc4NzU5NzkyMDI3NDBlZDJlNmYxMTI0NGIzYThlNTRhOTQyODc0YTM3NzUwYzM2OWJjYzEyNSIsCiAgICAgICAgIm5hbWUiOiAidGlueS1sbGFtYS1jaGF0LVE0X0tfTS5nZ3VmIgogICAgICB9CiAgICBdLAogICAgInNlcmlhbGl6YXRpb24iOiB7CiAgICAgICJhbGxvd19zeW1saW5rcyI6IGZhbHNlLAogICAgICAiaGFzaF90eXBlIjogInNoYTI1NiIsCiAgICAgICJpZ25vcmVfcGF0aHMiOiBbCiAgICAgICAgIi5naXQiLAogICAgICAgICIuZ2l0YXR0cmlidXRlcyIsCiAgICAgICAgIi5naXRodWIiLAogICAgICAgICIuZ2l0aWdub3JlIiwKICAgICAgICAibW9kZWwuc2lnIgogICAgICBdLAogICAgICAibWV0aG9kIjogImZpbGVzIgogICAgfQogIH0sCiAgInByZWRpY2F0ZVR5cGUiOiAiaHR0cHM6Ly9tb2RlbF9zaWduaW5nL3NpZ25hdHVyZS92MS4wIiwKICAic3ViamVjdCI6IFsKICAgIHsKICAgICAgImRpZ2VzdCI6IHsKICAgICAgICAic2hhMjU2IjogIjQ4YzkwOGE0MjdiYTZhOWQ0M2JmYzBmMmExNjJjNzI3NzJlMzg5ZWEzMzM5NWI3NmQxMWJiNTkwMjUwYzQzYTAiCiAgICAgIH0sCiAgICAgICJuYW1lIjogIjk3NTBmZTgzNGUxM2IzOWZmYWJmZjFmNmZkMThmMzFiMmFlMTAxMDAiCiAgICB9CiAgXQp9",
        "payloadType": "application/vnd.in-toto+json",
        "signatures": [
            {
                "keyid": "",
                "sig": "MEYCIQDzWc1SSyzA+kXWvanFkqPW8XqVk9C7n/kCoaAhYX7ERQIhAIQSIr6L7LHSlLNQUYsKs3Vv7j8G6AJl9HETcNO+17bW"
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
