#include "server/http/links.h"

namespace convene::server::links {

std::string GroupFeed(const std::string& base, const std::string& slug) {
  return base + "/feeds/groups/" + slug + ".ics";
}
std::string VenueFeed(const std::string& base, calendar::Id venue_id) {
  return base + "/feeds/venues/" + std::to_string(venue_id) + ".ics";
}
std::string MemberFeed(const std::string& base, const std::string& token) {
  return base + "/feeds/members/" + token + ".ics";
}
std::string MemberPage(const std::string& base, const std::string& token) {
  return base + "/m/" + token;
}
std::string Apology(const std::string& base, const std::string& token) {
  return base + "/apologies/" + token;
}
std::string Unsubscribe(const std::string& base, const std::string& token) {
  return base + "/unsubscribe/" + token;
}
std::string PasswordReset(const std::string& base, const std::string& token) {
  return base + "/login/reset/" + token;
}
std::string Meeting(const std::string& base, calendar::Id meeting_id) {
  return base + "/meetings/" + std::to_string(meeting_id);
}
std::string GroupPage(const std::string& base, const std::string& slug) {
  return base + "/groups/" + slug;
}
std::string VenuePage(const std::string& base, calendar::Id venue_id) {
  return base + "/venues/" + std::to_string(venue_id);
}
std::string GroupCalendar(const std::string& base, const std::string& slug) {
  return GroupPage(base, slug) + "/calendar";
}
std::string VenueCalendar(const std::string& base, calendar::Id venue_id) {
  return VenuePage(base, venue_id) + "/calendar";
}

std::string Webcal(const std::string& url) {
  for (const char* scheme : {"https://", "http://"})
    if (url.rfind(scheme, 0) == 0) return "webcal://" + url.substr(std::string(scheme).size());
  return url;
}

}  // namespace convene::server::links
