// Opening a descriptor inside another network namespace. A TUN device is created in, and a socket belongs
// to, the network namespace of the calling thread at the moment of the call; the descriptor keeps that
// namespace afterwards. NetnsScope moves the calling thread into a named namespace for the duration of one
// open call and moves it back in its destructor.
#pragma once

#include <string>

namespace packet_io {

class NetnsScope {
 public:
  /**
   * Enters `netns`: a name under /run/netns (as `ip netns add` makes) or an absolute path such as
   * /proc/PID/ns/net. An empty string stays in the current namespace. Check ok() afterwards.
   */
  explicit NetnsScope(const std::string& netns);
  /** Returns to the original namespace. Aborts the process if that is impossible (it would be unsafe). */
  ~NetnsScope();

  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

  bool ok() const { return error_ == 0; }
  int error() const { return error_; }
  const char* syscall() const { return syscall_; }

 private:
  int saved_ = -1;
  int error_ = 0;
  const char* syscall_ = "";
};

}  // namespace packet_io
