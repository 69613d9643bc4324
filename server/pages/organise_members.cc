// The organiser's members pages: the list with each member's details and notice state, adding,
// editing, new personal links, removal and the former members. routes.cc has already checked the
// session and (for POST) the form token.
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

void SendMembersPage(App& app, const Viewer& viewer, httplib::Response& res,
                     const std::string& slug, const json& link, const std::string& done = "") {
  auto g = app.ops().GetGroup(viewer.organiser.id, slug);
  if (!g.ok()) return SendErrorPage(res, g.status());
  auto members = app.ops().ListMembers(viewer.organiser.id, slug);
  if (!members.ok()) return SendErrorPage(res, members.status());
  auto failing = app.ops().FailingAddresses(viewer.organiser.id, slug);
  if (!failing.ok()) return SendErrorPage(res, failing.status());
  json list = json::array();
  for (const calendar::Member& m : *members) {
    std::string notices = m.unsubscribed ? "unsubscribed"
                          : m.delivery == calendar::Delivery::kInvitations
                              ? "email invitations"
                              : "email notices, calendar feed";
    json mj = {{"id", m.id},
               {"name", m.name},
               {"email", m.email},
               {"chair", m.role == calendar::Role::kChair},
               {"role_member", m.role == calendar::Role::kMember},
               {"role_organiser", m.role == calendar::Role::kOrganiser},
               {"invitations", m.delivery == calendar::Delivery::kInvitations},
               {"organisation_value", m.organisation},
               {"etag", Operations::MemberETag(m)},
               {"notices", notices}};
    if (!m.organisation.empty()) mj["organisation"] = m.organisation;
    if (auto it = failing->find(calendar::LowerAscii(m.email)); it != failing->end())
      mj["failing"] = it->second.empty() ? "no answer" : it->second;
    list.push_back(mj);
  }
  auto former = app.ops().ListFormerMembers(viewer.organiser.id, slug);
  if (!former.ok()) return SendErrorPage(res, former.status());
  json former_list = json::array();
  for (const calendar::Member& m : *former) {
    auto left = calendar::FromUnix(g->timezone, m.left_at.value_or(0));
    json mj = {{"name", m.name},
               {"email", m.email},
               {"organisation_value", m.organisation},
               {"left", left.ok() ? HumanDate(left->date) : ""}};
    if (!m.organisation.empty()) mj["organisation"] = m.organisation;
    former_list.push_back(mj);
  }
  json data = {{"group", {{"slug", g->slug}, {"name", g->name}}},
               {"members", list},
               {"former", former_list},
               {"has_former", !former_list.empty()},
               {"csrf", viewer.csrf}};
  if (!link.is_null()) data["link"] = link;
  if (!done.empty()) data["done"] = done;
  SendPage(res, 200, "organise_members.mustache", "Members of " + g->name, data, Privacy::kPrivate,
           &viewer);
}

}  // namespace

void Members(App& app, const Viewer& viewer, const httplib::Request& req, httplib::Response& res) {
  const Form f(req);
  SendMembersPage(app, viewer, res, req.matches[1], nullptr,
                  f.Get("removed") == "1"
                      ? "Removed from the group. Their links no longer work; the minutes of past "
                        "meetings still list them."
                  : f.Get("saved") == "1" ? "Member's details saved."
                                          : "");
}

void EditMember(App& app, const Viewer& viewer, const httplib::Request& req,
                httplib::Response& res) {
  const std::string slug = req.matches[1];
  const std::string back = "/organise/groups/" + slug + "/members";
  auto id = api::PathId(req, 2);
  if (!id.ok()) return SendErrorPage(res, id.status(), back);
  Form f(req);
  MemberPatch patch{f.Get("name"), f.Get("email"), f.Get("organisation"), NonEmpty(f, "role"),
                    NonEmpty(f, "delivery")};
  auto m = app.ops().UpdateMember(viewer.organiser.id, slug, *id, f.Get("etag"), patch);
  if (!m.ok()) return SendErrorPage(res, ForForm(m.status()), back);
  SeeOther(res, back + "?saved=1");
}

void AddMember(App& app, const Viewer& viewer, const httplib::Request& req,
               httplib::Response& res) {
  Form f(req);
  const std::string slug = req.matches[1];
  MemberInput in;
  in.name = f.Get("name");
  in.email = f.Get("email");
  if (!f.Get("organisation").empty()) in.organisation = f.Get("organisation");
  if (!f.Get("delivery").empty()) in.delivery = f.Get("delivery");
  auto m = app.ops().AddMember(viewer.organiser.id, slug, in);
  if (!m.ok()) return SendErrorPage(res, m.status(), "/organise/groups/" + slug + "/members");
  SendMembersPage(
      app, viewer, res, slug,
      {{"name", m->member.name}, {"url", links::MemberPage(app.config().base_url, m->page_token)}});
}

void RemoveMember(App& app, const Viewer& viewer, const httplib::Request& req,
                  httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto removed = app.ops().RemoveMember(viewer.organiser.id, *id);
  if (!removed.ok()) return SendErrorPage(res, removed.status());
  auto g = GroupById(app, viewer.organiser.id, removed->group_id);
  if (!g.ok()) return SendErrorPage(res, g.status());
  SeeOther(res, "/organise/groups/" + g->slug + "/members?removed=1");
}

void MemberLink(App& app, const Viewer& viewer, const httplib::Request& req,
                httplib::Response& res) {
  auto id = api::PathId(req, 1);
  if (!id.ok()) return SendErrorPage(res, id.status());
  auto link = app.ops().NewMemberPageLink(viewer.organiser.id, *id);
  if (!link.ok()) return SendErrorPage(res, link.status());
  auto g = GroupById(app, viewer.organiser.id, link->member.group_id);
  if (!g.ok()) return SendErrorPage(res, g.status());
  SendMembersPage(app, viewer, res, g->slug,
                  {{"name", link->member.name},
                   {"url", links::MemberPage(app.config().base_url, link->page_token)}});
}

}  // namespace convene::server::pages
