// Handlers of the JSON API (/api/v1/...). Thin: parse the request, call one Operations method,
// render the result. Each takes the App and the organiser the route wrapper authenticated.
#pragma once

#include <httplib.h>

#include "server/app/app.h"

namespace convene::server::api {

using Handler = void (*)(App&, calendar::Id organiser, const httplib::Request&, httplib::Response&);

void CreateVenue(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void ListVenues(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void GetVenue(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PatchVenue(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void VenueFreeBusy(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void CreateGroup(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void ListGroups(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void GetGroup(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PatchGroup(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void AddMember(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void ListMembers(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void GetMember(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PatchMember(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void RemoveMember(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void CreateSeries(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PreviewSeries(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void ListSeries(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void GetSeries(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PatchSeries(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void DeleteSeries(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void ListMeetings(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void GetMeeting(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PatchMeeting(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void AddPresenter(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void RemovePresenter(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void RecordApologies(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void GetAttendance(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void PutAttendance(App&, calendar::Id, const httplib::Request&, httplib::Response&);
// POST /members/{id}/(feed|page)-token: a new link (the old one stops); DELETE: revoke only.
void RotateMemberLink(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void RevokeMemberLink(App&, calendar::Id, const httplib::Request&, httplib::Response&);
void ListOutbox(App&, calendar::Id, const httplib::Request&, httplib::Response&);

// The id in path group `i` (routes only match digits); NotFound when out of range.
Result<calendar::Id> PathId(const httplib::Request& req, size_t i);

}  // namespace convene::server::api
