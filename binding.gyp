{
  "targets": [
    {
      "target_name": "packet_io",
      "sources": [
        "native/packet_io.cc",
        "native/endpoint.cc",
        "native/endpoint_io.cc",
        "native/endpoint_errors.cc",
        "native/open.cc",
        "native/link.cc",
        "native/notify.cc",
        "native/netns.cc",
        "native/errors.cc",
        "native/esp_crypto.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
