// Every public URL convene builds: feeds, pages and capability links. One place, so a path
// changes here and in app/routes.cc only. Each takes the public origin (Config::base_url, no
// trailing slash); pass "" for a path on this site (redirects, error pages' "go back" links).
// No HTTP types: server/ops/ builds the links of its notices here too. Pure; thread-safe.
#pragma once

#include <string>

#include "calendar/model.h"

namespace convene::server::links {

std::string GroupFeed(const std::string& base, const std::string& slug);     // /feeds/groups/S.ics
std::string VenueFeed(const std::string& base, calendar::Id venue_id);       // /feeds/venues/N.ics
std::string MemberFeed(const std::string& base, const std::string& token);   // /feeds/members/T.ics
std::string MemberPage(const std::string& base, const std::string& token);   // /m/T
std::string Apology(const std::string& base, const std::string& token);      // /apologies/T
std::string Unsubscribe(const std::string& base, const std::string& token);  // /unsubscribe/T
std::string PasswordReset(const std::string& base, const std::string& token);  // /login/reset/T
std::string Meeting(const std::string& base, calendar::Id meeting_id);         // /meetings/N
std::string GroupPage(const std::string& base, const std::string& slug);       // /groups/S
std::string VenuePage(const std::string& base, calendar::Id venue_id);         // /venues/N
std::string GroupCalendar(const std::string& base, const std::string& slug);   // /groups/S/calendar
std::string VenueCalendar(const std::string& base, calendar::Id venue_id);     // /venues/N/calendar

// The same URL for calendar apps that subscribe on a click: http(s)://... -> webcal://...
std::string Webcal(const std::string& url);

}  // namespace convene::server::links
