#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

namespace packet_io {

static std::string NetnsPath(const std::string& netns) {
  if (netns.find('/') != std::string::npos) return netns;
  return "/run/netns/" + netns;
}

NetnsScope::NetnsScope(const std::string& netns) {
  if (netns.empty()) return;
  saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_ < 0) {
    error_ = errno;
    syscall_ = "open /proc/thread-self/ns/net";
    return;
  }
  int target = open(NetnsPath(netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    error_ = errno;
    syscall_ = "open netns";
  } else if (setns(target, CLONE_NEWNET) != 0) {
    error_ = errno;
    syscall_ = "setns";
  }
  if (target >= 0) close(target);
  if (error_ != 0) {
    close(saved_);
    saved_ = -1;
  }
}

NetnsScope::~NetnsScope() {
  if (saved_ < 0) return;
  if (setns(saved_, CLONE_NEWNET) != 0) {
    // The JavaScript thread would go on in the wrong namespace; nothing sensible can follow.
    perror("packet_io: cannot return to the original network namespace");
    abort();
  }
  close(saved_);
}

}  // namespace packet_io
