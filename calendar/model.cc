#include "calendar/model.h"

namespace convene::calendar {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kChair:
      return "chair";
    case Role::kOrganiser:
      return "organiser";
    default:
      return "member";
  }
}

const char* DeliveryName(Delivery d) {
  return d == Delivery::kInvitations ? "invitations" : "feed";
}

const char* MeetingStatusName(MeetingStatus s) {
  return s == MeetingStatus::kCancelled ? "cancelled" : "scheduled";
}

const char* AttendanceName(Attendance a) {
  switch (a) {
    case Attendance::kApologies:
      return "apologies";
    case Attendance::kPresent:
      return "present";
    case Attendance::kAbsent:
      return "absent";
    default:
      return "expected";
  }
}

}  // namespace convene::calendar

namespace convene {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kUnauthenticated:
      return "unauthenticated";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kNotFound:
      return "not_found";
    case Code::kConflict:
      return "conflict";
    case Code::kPreconditionFailed:
      return "precondition_failed";
    case Code::kTooLarge:
      return "too_large";
    case Code::kUnsupportedMedia:
      return "unsupported_media_type";
    case Code::kPreconditionRequired:
      return "precondition_required";
    case Code::kRateLimited:
      return "rate_limited";
    case Code::kInternal:
      return "internal";
    case Code::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = error_code() + ": " + message_;
  if (!field_.empty()) s += " (field " + field_ + ")";
  return s;
}

}  // namespace convene
