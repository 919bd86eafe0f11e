{
  "targets": [
    {
      "target_name": "reaper",
      "sources": ["reaper.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
