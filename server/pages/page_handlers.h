// Handlers of the HTML pages: public pages, the member's pages (member_pages.cc) and the
// organiser's pages. Thin: read the form or path, call one or two Operations use cases, render one
// template (render.h). Every state change is a POST with a form token, answered by a 303 redirect
// or a page; a GET never changes anything (mail scanners prefetch links).
//
// routes.cc authenticates organiser pages (session cookie) and checks their form token before
// calling an OrganiserHandler. Member pages check their own form token (bound to the capability
// in the path). Threads: handlers run on any request thread.
#pragma once

#include <httplib.h>

#include "server/app/app.h"
#include "server/pages/render.h"

namespace convene::server::pages {

using PageHandler = void (*)(App&, const httplib::Request&, httplib::Response&);
using OrganiserHandler = void (*)(App&, const Viewer&, const httplib::Request&, httplib::Response&);

// ---- public (public_pages.cc) ----
void Home(App&, const httplib::Request&, httplib::Response&);
void GroupPage(App&, const httplib::Request&, httplib::Response&);
void MeetingPage(App&, const httplib::Request&, httplib::Response&);
void VenuePage(App&, const httplib::Request&, httplib::Response&);
// ---- month views (calendar_pages.cc): GET .../calendar?month=YYYY-MM ----
void GroupCalendar(App&, const httplib::Request&, httplib::Response&);
void VenueCalendar(App&, const httplib::Request&, httplib::Response&);
void OrganiseGroupCalendar(App&, const Viewer&, const httplib::Request&, httplib::Response&);

// ---- login (public_pages.cc) ----
void LoginForm(App&, const httplib::Request&, httplib::Response&);
void LoginSubmit(App&, const httplib::Request&, httplib::Response&);
void Logout(App&, const httplib::Request&, httplib::Response&);
// "Forgot your password": the email form, and the one-time link's new-password form.
void ForgotForm(App&, const httplib::Request&, httplib::Response&);
void ForgotSubmit(App&, const httplib::Request&, httplib::Response&);
void ResetForm(App&, const httplib::Request&, httplib::Response&);
void ResetSubmit(App&, const httplib::Request&, httplib::Response&);
// The organiser of the request's session cookie, with the session's form token.
Result<Viewer> SessionViewer(App& app, const httplib::Request& req);
// The Set-Cookie value that gives the browser `session` (after login, reset or password change).
std::string SessionCookie(App& app, const Session& session);

// ---- member pages (member_pages.cc) ----
void MemberHome(App&, const httplib::Request&, httplib::Response&);
void MemberFeedLink(App&, const httplib::Request&, httplib::Response&);
void MemberNotices(App&, const httplib::Request&, httplib::Response&);
void ApologyForm(App&, const httplib::Request&, httplib::Response&);
void ApologySend(App&, const httplib::Request&, httplib::Response&);
void ApologyWithdraw(App&, const httplib::Request&, httplib::Response&);
// GET /unsubscribe/{token}: a confirm page; POST: unsubscribes (one-click, RFC 8058).
void UnsubscribeForm(App&, const httplib::Request&, httplib::Response&);
void UnsubscribeSend(App&, const httplib::Request&, httplib::Response&);
void ResubscribeSend(App&, const httplib::Request&, httplib::Response&);

// ---- organiser pages (organise_pages.cc) ----
void Dashboard(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void Account(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void ChangePassword(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void CreateGroup(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// GET /organise/outbox[?status=queued|sent|failed|superseded]: the notices of the organiser's
// groups, times in each group's zone.
void Outbox(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void Venues(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void CreateVenue(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void EditVenue(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void OrganiseGroup(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void SaveGroupSettings(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void Members(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void EditMember(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void AddMember(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void MemberLink(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void RemoveMember(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// ---- the organiser's desk, CSV part (organise_desk.cc) ----
// POST /organise/groups/{slug}/members/import/check: a file (multipart "file") or pasted text
// ("csv") -> the preview of what each row will do, or every row's errors; stores nothing.
void CheckMemberImport(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// POST /organise/groups/{slug}/members/import: the checked text (hidden "csv") -> imported, 303
// to the members page with the counts (ImportDoneNotice), or the check page again.
void ConfirmMemberImport(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// What the members page says after an import (its query: imported, added, updated, unchanged;
// numbers only), or none.
std::optional<std::string> ImportDoneNotice(const Form& query);
// GET /organise/meetings/{id}/register.csv: name,organisation,status,reason.
void RegisterCsv(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// GET /organise/groups/{slug}/attendance?year=YYYY: each member's attendance in the year.
void AttendanceYear(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// ---- series (organise_series.cc) ----
// POST /organise/groups/{slug}/series/preview: the meetings the new-series form would make, or
// (edit=1, "Change") the group page with the form as it was filled in. Errors of the form show
// beside its fields, with the values kept.
void PreviewNewSeries(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// POST /organise/groups/{slug}/series: makes exactly the meetings the preview showed.
void CreateSeries(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// POST /organise/series/{id}/preview (action change|extend|end): what the change does and who is
// told what; its confirm form posts /change (or /end) with the ETag as if-match.
void PreviewSeriesChange(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void ConfirmSeriesChange(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// POST /organise/series/{id}/end: cancels the meetings still to come.
void EndSeries(App&, const Viewer&, const httplib::Request&, httplib::Response&);

// ---- one meeting (organise_meetings.cc) ----
void OrganiseMeeting(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void PreviewChange(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void ConfirmChange(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void AddPresenter(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void RemovePresenter(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void Register(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void SaveRegister(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// Apologies the organiser records on a member's behalf (form fields member_id, reason).
void RecordApologies(App&, const Viewer&, const httplib::Request&, httplib::Response&);
void MinutesPage(App&, const Viewer&, const httplib::Request&, httplib::Response&);
// GET /meetings/{id}/minutes.md: text/markdown (routes.cc accepts a session or a Bearer token).
void MinutesMarkdown(App&, calendar::Id organiser, const httplib::Request&, httplib::Response&);
// The markdown text of a minutes header (pure; for tests too).
std::string MinutesMarkdownText(const MinutesHeader& m);

}  // namespace convene::server::pages
