//! Qualifications: operators practise a workflow's scenario against a scripted customer (a
//! sandbox: no real customer sees it), reviewers read the transcript and grant or send it back,
//! and revoke what was granted.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::errors::{DataTable, EmptyState, ErrorPanel, Loading, PageHeader};
use crate::events::MessageBody;
use crate::qualifications::{
    get_practice_run, get_qualifications, practice_reply, review_practice, revoke_qualification, start_practice,
    submit_practice,
};
use crate::qualifications::{MyQualification, PracticeRun, PracticeStatus, QualificationsOverview};
use crate::time::{format_clock, format_utc};
use crate::{Me, Scope};

const BUTTON: &str = "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 disabled:opacity-60";
const QUIET_BUTTON: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-60";

fn status_badge(status: PracticeStatus) -> &'static str {
    match status {
        PracticeStatus::InProgress => "bg-sky-100 text-sky-900",
        PracticeStatus::Submitted => "bg-amber-100 text-amber-900",
        PracticeStatus::Granted => "bg-emerald-100 text-emerald-900",
        PracticeStatus::Returned | PracticeStatus::Revoked => "bg-red-100 text-red-900",
    }
}

#[component]
pub fn QualificationsPage() -> impl IntoView {
    let allowed =
        use_context::<Me>().is_some_and(|me| me.can(Scope::OperatorWrite) || me.can(Scope::QualificationsWrite));
    if !allowed {
        return view! { <crate::errors::Forbidden page="Qualifications"/> }.into_any();
    }
    let version = RwSignal::new(0u32);
    let overview = Resource::new(move || version.get(), |_| get_qualifications());
    let problem = RwSignal::new(None::<String>);
    view! {
        <PageHeader title="Qualifications" subtitle="Practise a workflow with a scripted customer before going live on it; reviewers read the practice and grant the qualification."/>
        <div class="space-y-10 p-8">
            {move || problem.get().map(|p| view! { <p role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-800" data-testid="qualification-problem">{p}</p> })}
            <Transition fallback=|| view! { <Loading what="qualifications"/> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(o) => view! { <Overview o version problem/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}

#[component]
fn Overview(o: QualificationsOverview, version: RwSignal<u32>, problem: RwSignal<Option<String>>) -> impl IntoView {
    let can_practise = use_context::<Me>().is_some_and(|m| m.can(Scope::OperatorWrite));
    let reviewer = o.reviewer;
    let revoke = move |member_id: i64, workflow_id: i64| {
        leptos::task::spawn_local(async move {
            match revoke_qualification(member_id, workflow_id).await {
                Ok(()) => {
                    problem.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        {can_practise.then(|| view! {
            <section aria-labelledby="mine-heading">
                <h2 id="mine-heading" class="mb-3 text-base font-semibold">"Your workflows"</h2>
                {if o.mine.is_empty() {
                    view! { <EmptyState title="No workflows yet" body="Once an admin adds you to an operator group with workflows, you can practise them here."/> }.into_any()
                } else {
                    view! {
                        <ul class="grid gap-4 md:grid-cols-2" role="list" data-testid="my-qualifications">
                            {o.mine.clone().into_iter().map(|q| view! { <MyCard q problem/> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        })}
        {reviewer.then(|| view! {
            <section aria-labelledby="review-heading">
                <h2 id="review-heading" class="mb-3 text-base font-semibold">"Waiting for review"</h2>
                {if o.to_review.is_empty() {
                    view! { <EmptyState title="Nothing to review" body="Practice runs that operators submit appear here."/> }.into_any()
                } else {
                    view! {
                        <ul class="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white" role="list" data-testid="to-review">
                            {o.to_review.clone().into_iter().map(|r| view! {
                                <li class="flex items-center justify-between gap-4 px-4 py-3 text-sm">
                                    <span><span class="font-medium">{r.member_name.clone()}</span>" practised "<span class="font-medium">{r.workflow_name.clone()}</span></span>
                                    <span class="text-xs text-slate-500">{format!("submitted {}", format_utc(r.submitted_at))}</span>
                                    <a href=format!("/qualifications/{}", r.run_id) class=BUTTON>"Review"</a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section aria-labelledby="granted-heading">
                <h2 id="granted-heading" class="mb-3 text-base font-semibold">"Qualifications held"</h2>
                {if o.granted.is_empty() {
                    view! { <EmptyState title="No qualifications granted yet" body="Grant one by reviewing a submitted practice run."/> }.into_any()
                } else {
                    view! {
                        <DataTable testid="grants-table" columns=vec!["Operator", "Workflow", "Granted", ""]>
                                {o.granted.clone().into_iter().map(|g| {
                                    let (member, workflow) = (g.member_id, g.workflow_id);
                                    view! {
                                        <tr data-testid="grant-row">
                                            <td class="px-4 py-2 font-medium">{g.member_name.clone()}</td>
                                            <td class="px-4 py-2">{g.workflow_name.clone()}</td>
                                            <td class="px-4 py-2 text-slate-600">
                                                {format!("{} by {}", format_utc(g.granted_at), g.granted_by.clone().unwrap_or_else(|| "a former member".into()))}
                                                {g.run_id.map(|r| view! { " · " <a class="text-sky-700 underline" href=format!("/qualifications/{r}")>"practice"</a> })}
                                            </td>
                                            <td class="px-4 py-2 text-right">
                                                <button type="button" class=QUIET_BUTTON on:click=move |_| revoke(member, workflow)
                                                    aria-label=format!("Revoke {} for {}", g.workflow_name, g.member_name)>"Revoke"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                        </DataTable>
                    }.into_any()
                }}
            </section>
        })}
    }
}

#[component]
fn MyCard(q: MyQualification, problem: RwSignal<Option<String>>) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    let workflow_id = q.workflow_id;
    let busy = RwSignal::new(false);
    let start = move || {
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match start_practice(workflow_id).await {
                Ok(run) => {
                    problem.set(None);
                    navigate(&format!("/qualifications/{}", run.id), Default::default());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let open_run = matches!(
        q.latest_status,
        Some(PracticeStatus::InProgress | PracticeStatus::Submitted)
    );
    let state = match (q.granted_at, q.latest_status) {
        (Some(at), _) => format!("Qualified since {}", format_utc(at)),
        (None, Some(s)) => s.label().to_string(),
        (None, None) => "Not practised yet".to_string(),
    };
    let badge = match (q.granted_at, q.latest_status) {
        (Some(_), _) => status_badge(PracticeStatus::Granted),
        (None, Some(s)) => status_badge(s),
        (None, None) => "bg-slate-100 text-slate-700",
    };
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-4" data-testid="my-qualification">
            <div class="flex items-start justify-between gap-3">
                <div>
                    <p class="font-semibold">{q.workflow_name.clone()}</p>
                    <p class="text-xs text-slate-500">{if q.required { "Needs a qualification to go live" } else { "No qualification needed; practise any time" }}</p>
                </div>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {badge}") data-testid="qualification-state">{state}</span>
            </div>
            {(q.latest_status == Some(PracticeStatus::Returned)).then(|| q.review_note.clone()).flatten().map(|n| view! {
                <p class="mt-3 rounded-md bg-red-50 p-2 text-sm text-red-900">{format!("Reviewer's note: {n}")}</p>
            })}
            <div class="mt-4 flex gap-2">
                {if open_run {
                    let href = format!("/qualifications/{}", q.latest_run.unwrap_or_default());
                    let label = if q.latest_status == Some(PracticeStatus::Submitted) { "See the submitted run" } else { "Continue practising" };
                    view! { <a href=href class=BUTTON>{label}</a> }.into_any()
                } else {
                    let label = if q.latest_run.is_some() { "Practise again" } else { "Start practising" };
                    view! { <button type="button" class=BUTTON disabled=move || busy.get() on:click=move |_| start()>{label}</button> }.into_any()
                }}
            </div>
        </li>
    }
}

/// One practice run: the sandbox chat for the operator, the transcript and decision for a
/// reviewer.
#[component]
pub fn PracticePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).and_then(|s| s.parse::<i64>().ok());
    let run = RwSignal::new(None::<Result<PracticeRun, crate::AppError>>);
    Effect::new(move |_| {
        let Some(id) = id() else {
            run.set(Some(Err(crate::AppError::not_found("That practice run"))));
            return;
        };
        leptos::task::spawn_local(async move { run.set(Some(get_practice_run(id).await)) });
    });
    view! {
        <PageHeader title="Practice run"/>
        <div class="p-8">
            <a href="/qualifications" class="text-sm text-sky-700 underline">"← All qualifications"</a>
            {move || match run.get() {
                None => view! { <Loading what="the practice run"/> }.into_any(),
                Some(Err(e)) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                Some(Ok(r)) => view! { <RunView r run/> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn RunView(r: PracticeRun, run: RwSignal<Option<Result<PracticeRun, crate::AppError>>>) -> impl IntoView {
    let me = use_context::<Me>();
    let mine = me.as_ref().is_some_and(|m| m.member_id == r.member_id);
    let reviewer = me.as_ref().is_some_and(|m| m.can(Scope::QualificationsWrite)) && !mine;
    let id = r.id;
    let problem = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let done = r.complete();
    let status = r.status;
    let apply = move |result: Result<PracticeRun, crate::AppError>| match result {
        Ok(updated) => {
            problem.set(None);
            run.set(Some(Ok(updated)));
        }
        Err(e) => problem.set(Some(e.to_string())),
    };
    let send = move || {
        let body = match MessageBody::parse(&draft.get_untracked()) {
            Ok(b) => b.into_string(),
            Err(e) => {
                problem.set(Some(e.to_string()));
                return;
            }
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = practice_reply(id, body).await;
            if result.is_ok() {
                draft.set(String::new());
            }
            apply(result);
            busy.set(false);
        });
    };
    let submit = move || {
        busy.set(true);
        leptos::task::spawn_local(async move {
            apply(submit_practice(id).await);
            busy.set(false);
        });
    };
    let note = RwSignal::new(String::new());
    let decide = move |grant: bool| {
        busy.set(true);
        let text = note.get_untracked();
        leptos::task::spawn_local(async move {
            apply(review_practice(id, grant, text).await);
            busy.set(false);
        });
    };
    let progress = format!("{} of {} customer messages", r.step.min(r.total), r.total);
    // The answer box takes the focus whenever it appears, so the operator can keep typing.
    let composer = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = composer.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="mt-4 max-w-3xl space-y-4">
            <div class="flex flex-wrap items-center gap-3">
                <h2 class="text-lg font-semibold" data-testid="practice-title">{format!("{} · {}", r.workflow_name, r.member_name)}</h2>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {}", status_badge(status)) data-testid="practice-status">{status.label()}</span>
                <span class="text-xs text-slate-500">{progress}</span>
            </div>
            <p class="rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900">
                "Practice sandbox: the customer here is scripted. Nothing you write reaches a real customer or the inbox."
            </p>
            {r.review_note.clone().map(|n| view! {
                <p class="rounded-md border border-slate-200 bg-white p-3 text-sm"><span class="font-medium">{format!("{}: ", r.reviewer.clone().unwrap_or_else(|| "Reviewer".into()))}</span>{n}</p>
            })}
            <div class="space-y-3 rounded-lg border border-slate-200 bg-slate-50 p-4" role="log" aria-label="Practice conversation" data-testid="practice-thread">
                {r.messages.iter().map(|m| {
                    let time = format_clock(m.created_at);
                    if m.from_customer {
                        view! {
                            <div class="flex flex-col items-start" data-testid="practice-message" data-sender="customer">
                                <p class="mb-1 text-[11px] font-medium text-slate-600">"Practice customer"</p>
                                <p class="max-w-[75%] whitespace-pre-wrap rounded-2xl rounded-bl-sm bg-white px-3 py-2 text-sm shadow-sm">{m.body.clone()}</p>
                                <p class="mt-1 text-[11px] text-slate-500">{time}</p>
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="flex flex-col items-end" data-testid="practice-message" data-sender="operator">
                                <p class="mb-1 text-[11px] font-medium text-slate-600">{r.member_name.clone()}</p>
                                <p class="max-w-[75%] whitespace-pre-wrap rounded-2xl rounded-br-sm bg-slate-900 px-3 py-2 text-sm text-white">{m.body.clone()}</p>
                                <p class="mt-1 text-[11px] text-slate-500">{time}</p>
                            </div>
                        }.into_any()
                    }
                }).collect_view()}
            </div>
            {move || problem.get().map(|p| view! { <p role="alert" class="rounded-md bg-red-50 p-3 text-sm text-red-800" data-testid="practice-problem">{p}</p> })}
            {(mine && status == PracticeStatus::InProgress && !done).then(|| view! {
                <form class="flex items-end gap-2" on:submit=move |ev| { ev.prevent_default(); send(); }>
                    <label for="practice-composer" class="sr-only">"Your answer"</label>
                    <textarea id="practice-composer" node_ref=composer rows="2" maxlength="4000" placeholder="Answer the customer… (Enter sends, Shift+Enter for a new line)"
                        class="min-h-[3rem] flex-1 resize-none rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" && !ev.shift_key() {
                                ev.prevent_default();
                                send();
                            }
                        }></textarea>
                    <button type="submit" class=BUTTON disabled=move || busy.get()>"Send"</button>
                </form>
            })}
            {(mine && status == PracticeStatus::InProgress && done).then(|| view! {
                <div class="flex items-center justify-between gap-4 rounded-lg border border-emerald-200 bg-emerald-50 p-4">
                    <p class="text-sm text-emerald-900">"You answered every message. Submit the run and a reviewer will read it."</p>
                    <button type="button" class=BUTTON disabled=move || busy.get() on:click=move |_| submit()>"Submit for review"</button>
                </div>
            })}
            {(reviewer && status == PracticeStatus::Submitted).then(|| view! {
                <form class="space-y-3 rounded-lg border border-slate-200 bg-white p-4" aria-label="Review" on:submit=move |ev| ev.prevent_default()>
                    <label for="review-note" class="block text-sm font-medium">"Note for the operator (needed when sending it back)"</label>
                    <textarea id="review-note" rows="2" maxlength="1000"
                        class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500"
                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    <div class="flex gap-2">
                        <button type="button" class="rounded-md bg-emerald-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-emerald-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-400 disabled:opacity-60"
                            disabled=move || busy.get() on:click=move |_| decide(true)>"Grant qualification"</button>
                        <button type="button" class=QUIET_BUTTON disabled=move || busy.get() on:click=move |_| decide(false)>"Send back"</button>
                    </div>
                </form>
            })}
        </div>
    }
}
