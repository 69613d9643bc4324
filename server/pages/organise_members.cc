// The organiser's members pages: the list with each member's details and notice state, adding,
// editing, new personal links, removal and the former members. routes.cc has already checked the
// session and (for POST) the form token.
#include <algorithm>

#include "calendar/names.h"
#include "calendar/words.h"
#include "server/api/api_handlers.h"
#include "server/http/links.h"
#include "server/pages/organise_forms.h"
#include "server/pages/page_handlers.h"

namespace convene::server::pages {

using calendar::Id;
using nlohmann::json;

namespace {

Result<calendar::Group> GroupById(App& app, Id organiser, Id group_id) {
  ASSIGN_OR_RETURN(auto groups, app.ops().ListGroups(organiser));
  for (const calendar::Group& g : groups)
    if (g.id == group_id) return g;
  return NotFound("no such group");
}

// Sends the members page: `link` is a personal link just made (name, url), `done` says what was
// just done. A failure sends the error page, with no way back.
void SendMembersPage(App& app, const Viewer& viewer, httplib::Response& res,
                     const std::string& slug, const json& link, const std::string& done = "") {
  HandlePage(res, [&](std::string&) -> Status {
    const Id org = viewer.organiser.id;
    ASSIGN_OR_RETURN(calendar::Group g, app.ops().GetGroup(org, slug));
    ASSIGN_OR_RETURN(auto members, app.ops().ListMembers(org, slug));
    // By surname, as the minutes list people.
    std::stable_sort(members.begin(), members.end(),
                     [](const calendar::Member& a, const calendar::Member& b) {
                       return calendar::BySurname(a.name, b.name);
                     });
    ASSIGN_OR_RETURN(auto failing, app.ops().FailingAddresses(org, slug));
    json list = json::array();
    for (const calendar::Member& m : members) {
      std::string notices = m.unsubscribed ? "unsubscribed"
                            : m.delivery == calendar::Delivery::kInvitations
                                ? "email invitations"
                                : "email notices, calendar feed";
      json mj = {
          {"id", m.id},
          {"name", m.name},
          {"email", m.email},
          {"chair", m.role == calendar::Role::kChair},
          {"role_words",
           m.role == calendar::Role::kMember ? json(nullptr) : json(calendar::RoleName(m.role))},
          {"role_member", m.role == calendar::Role::kMember},
          {"role_organiser", m.role == calendar::Role::kOrganiser},
          {"invitations", m.delivery == calendar::Delivery::kInvitations},
          {"organisation_value", m.organisation},
          {"etag", Operations::MemberETag(m)},
          {"notices", notices}};
      if (!m.organisation.empty()) mj["organisation"] = m.organisation;
      if (auto it = failing.find(calendar::LowerAscii(m.email)); it != failing.end())
        mj["failing"] = it->second.empty() ? "no answer" : it->second;
      list.push_back(mj);
    }
    ASSIGN_OR_RETURN(auto former, app.ops().ListFormerMembers(org, slug));
    json former_list = json::array();
    for (const calendar::Member& m : former) {
      auto left = calendar::FromUnix(g.timezone, m.left_at.value_or(0));
      json mj = {{"name", m.name},
                 {"email", m.email},
                 {"organisation_value", m.organisation},
                 {"left", left.ok() ? calendar::LongDate(left->date) : ""}};
      if (!m.organisation.empty()) mj["organisation"] = m.organisation;
      former_list.push_back(mj);
    }
    json data = {{"group", {{"slug", g.slug}, {"name", g.name}}},
                 {"members", list},
                 {"former", former_list},
                 {"has_former", !former_list.empty()},
                 {"csrf", viewer.csrf}};
    if (!link.is_null()) data["link"] = link;
    if (!done.empty()) data["done"] = done;
    SendPage(res, 200, "organise_members.mustache", "Members of " + g.name, data, Privacy::kPrivate,
             &viewer);
    return Status::Ok();
  });
}

// A member's page link for the members page to show: `welcomed` (a new member: the welcome email
// took it to them), else to send them, with `revoked` saying whether their earlier ones died.
json NewLink(App& app, const calendar::Member& m, const std::string& page_token, bool welcomed,
             bool revoked) {
  return {{"name", m.name},
          {"email", m.email},
          {"welcomed", welcomed},
          {"revoked", revoked},
          {"url", links::MemberPage(app.config().base_url, page_token)}};
}

}  // namespace

void Members(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  const Form f(req);
  if (auto imported = ImportDoneNotice(f))
    return SendMembersPage(app, viewer, res, req.matches[1], nullptr, *imported);
  if (!f.Get("link").empty()) {
    // "Send their page link" (MemberLink) came back here: the link is derived, so this GET shows
    // it without writing anything. A member of another group, or none, shows no link.
    json link = nullptr;
    auto id = ParseId(f.Get("link"), "link");
    auto g = app.ops().GetGroup(viewer.organiser.id, req.matches[1]);
    if (id.ok() && g.ok())
      if (auto made = app.ops().PageLinkFor(viewer.organiser.id, *id);
          made.ok() && made->member.group_id == g->id)
        link = NewLink(app, made->member, made->page_token, false, f.Get("revoked") == "1");
    return SendMembersPage(app, viewer, res, req.matches[1], link);
  }
  SendMembersPage(app, viewer, res, req.matches[1], nullptr,
                  f.Get("removed") == "1"
                      ? "Removed from the group. Their links no longer work; the minutes of past "
                        "meetings still list them."
                  : f.Get("saved") == "1" ? "Member's details saved."
                                          : "");
}

void EditMember(App& app, const Viewer& viewer, const httplib::Request& req,
                httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const std::string slug = req.matches[1];
    back = GroupPath(slug) + "/members";
    ASSIGN_OR_RETURN(Id id, api::PathId(req, 2));
    const Form f(req);
    MemberPatch patch{f.Get("name"), f.Get("email"), f.Get("organisation"), NonEmpty(f, "role"),
                      NonEmpty(f, "delivery")};
    RETURN_IF_ERROR(ForForm(
        app.ops().UpdateMember(viewer.organiser.id, slug, id, f.Get("etag"), patch).status()));
    SeeOther(res, back + "?saved=1");
    return Status::Ok();
  });
}

void AddMember(App& app, const Viewer& viewer, const httplib::Request& req,
               httplib::Response& res) {
  HandlePage(res, [&](std::string& back) -> Status {
    const Form f(req);
    const std::string slug = req.matches[1];
    back = GroupPath(slug) + "/members";
    MemberInput in;
    in.name = f.Get("name");
    in.email = f.Get("email");
    in.organisation = NonEmpty(f, "organisation");
    in.role = NonEmpty(f, "role");
    in.delivery = NonEmpty(f, "delivery");
    ASSIGN_OR_RETURN(MemberCreated m, app.ops().AddMember(viewer.organiser.id, slug, in));
    SendMembersPage(app, viewer, res, slug, NewLink(app, m.member, m.page_token, true, false));
    return Status::Ok();
  });
}

void RemoveMember(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    ASSIGN_OR_RETURN(auto removed, app.ops().RemoveMember(viewer.organiser.id, id));
    ASSIGN_OR_RETURN(calendar::Group g, GroupById(app, viewer.organiser.id, removed.group_id));
    SeeOther(res, GroupPath(g.slug) + "/members?removed=1");
    return Status::Ok();
  });
}

void MemberLink(App& app, const Viewer& viewer, const httplib::Request& req,
                httplib::Response& res) {
  // Revokes their page links only when asked; then back to the members page, which shows the
  // (derived) link to send them (POST/redirect/GET: a reload revokes nothing more).
  HandleWithId(req, res, [&](Id id, std::string&) -> Status {
    const Id org = viewer.organiser.id;
    const bool revoke = Form(req).Get("revoke") == "1";
    ASSIGN_OR_RETURN(MemberCreated made, revoke ? app.ops().RotateMemberLink(org, id, "page", true)
                                                : app.ops().PageLinkFor(org, id));
    ASSIGN_OR_RETURN(calendar::Group g, GroupById(app, org, made.member.group_id));
    SeeOther(res, GroupPath(g.slug) + "/members?link=" + std::to_string(id) +
                      (revoke ? "&revoked=1" : ""));
    return Status::Ok();
  });
}

}  // namespace convene::server::pages
