//! Workflows (chatbots): handoff and routing settings, the assistant's provider, and the
//! built-in assistant's questions and answers.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::errors::{EmptyState, ErrorPanel, Forbidden, Loading, PageHeader};
use crate::workflows::WorkflowSettings;
use crate::workflows::{
    add_workflow_answer, create_workflow, delete_workflow_answer, get_workflow, list_workflows, UpdateWorkflow,
};
use crate::{Me, Scope};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";

#[component]
pub fn WorkflowsPage() -> impl IntoView {
    let allowed = use_context::<Me>().is_some_and(|me| me.can(Scope::WorkflowsWrite));
    if !allowed {
        return view! { <Forbidden page="Workflows"/> }.into_any();
    }
    let query = use_query_map();
    let version = RwSignal::new(0u32);
    let list = Resource::new(move || version.get(), |_| list_workflows());
    let selected = move || query.with(|q| q.get("id")).and_then(|s| s.parse::<i64>().ok());
    let new_name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let create = move || {
        let name = new_name.get_untracked();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match create_workflow(name).await {
                Ok(w) => {
                    problem.set(None);
                    new_name.set(String::new());
                    version.update(|v| *v += 1);
                    navigate(&format!("/workflows?id={}", w.id), Default::default());
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <PageHeader title="Workflows" subtitle="The assistants that answer customers, when they hand off to people, and how conversations are routed."/>
        <div class="flex gap-8 p-8">
            <aside class="w-64 shrink-0 space-y-4">
                <Transition fallback=|| view! { <Loading what="workflows"/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(items) => view! {
                                <ul class="space-y-1" role="list" aria-label="Workflows">
                                    {items.into_iter().map(|w| {
                                        let id = w.id;
                                        view! {
                                            <li>
                                                <a href=format!("/workflows?id={id}") aria-current=move || (selected() == Some(id)).then_some("page")
                                                    class=move || if selected() == Some(id) { "block rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white" } else { "block rounded-md px-3 py-2 text-sm hover:bg-slate-100" }>
                                                    {w.name.clone()}
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <form class="space-y-2 rounded-lg border border-slate-200 bg-white p-3" on:submit=move |ev| { ev.prevent_default(); create(); }>
                    <label for="new-workflow" class="block text-xs font-medium text-slate-700">"New workflow"</label>
                    <input id="new-workflow" type="text" maxlength="80" class=INPUT prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                    <button type="submit" class="w-full rounded-md bg-slate-900 px-3 py-1.5 text-sm font-semibold text-white hover:bg-slate-700">"Create"</button>
                    {move || problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700">{p}</p> })}
                </form>
            </aside>
            <section class="min-w-0 flex-1">
                {move || match selected() {
                    None => view! { <EmptyState title="Choose a workflow" body="Pick a workflow on the left to edit it, or create a new one."/> }.into_any(),
                    Some(id) => view! { <WorkflowEditor id version/> }.into_any(),
                }}
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn WorkflowEditor(id: i64, version: RwSignal<u32>) -> impl IntoView {
    let update = ServerAction::<UpdateWorkflow>::new();
    let answers_version = RwSignal::new(0u32);
    let workflow = Resource::new(
        move || (id, update.version().get(), answers_version.get()),
        |(id, _, _)| get_workflow(id),
    );
    // The key field empties after a save: a stored key is never shown again.
    let key = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            version.update(|v| *v += 1);
            key.set(String::new());
        }
    });
    view! {
        <Transition fallback=|| view! { <Loading what="the workflow"/> }>
            {move || Suspend::new(async move {
                match workflow.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(w) => view! { <WorkflowForm w=w update answers_version key/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WorkflowForm(
    w: WorkflowSettings,
    update: ServerAction<UpdateWorkflow>,
    answers_version: RwSignal<u32>,
    key: RwSignal<String>,
) -> impl IntoView {
    let id = w.id;
    let question = RwSignal::new(String::new());
    let answer = RwSignal::new(String::new());
    let answer_problem = RwSignal::new(None::<String>);
    let add = move || {
        let (q, a) = (question.get_untracked(), answer.get_untracked());
        leptos::task::spawn_local(async move {
            match add_workflow_answer(id, q, a).await {
                Ok(_) => {
                    answer_problem.set(None);
                    question.set(String::new());
                    answer.set(String::new());
                    answers_version.update(|v| *v += 1);
                }
                Err(e) => answer_problem.set(Some(e.to_string())),
            }
        });
    };
    let check = |on: bool| on;
    // What the test box judges by: the handoff settings as they are typed, before saving.
    let triggers = RwSignal::new(w.handoff_triggers.clone());
    let threshold = RwSignal::new(w.escalation_threshold);
    let on_frustration = RwSignal::new(w.escalate_on_frustration);
    let sample = RwSignal::new(String::new());
    let verdict = move || {
        let text = sample.get();
        if text.trim().is_empty() {
            return None;
        }
        Some(match crate::escalation::parse_triggers(&triggers.get()) {
            Err(why) => Err(format!("The triggers cannot be read: {why}.")),
            Ok(list) => {
                let v = crate::escalation::assess(&text, 0, threshold.get(), on_frustration.get(), &list);
                Ok((v.escalates(), v.describe()))
            }
        })
    };
    view! {
        <ActionForm action=update attr:class="space-y-6 rounded-lg border border-slate-200 bg-white p-6" attr:aria-label="Workflow settings">
            <input type="hidden" name="id" value=id.to_string()/>
            <div>
                <label for="wf-name" class="block text-sm font-medium">"Name"</label>
                <input id="wf-name" name="name" type="text" maxlength="80" required value=w.name.clone() class=INPUT/>
            </div>
            <fieldset class="space-y-3">
                <legend class="text-sm font-semibold">"Handoff to people"</legend>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="wf-mode" class="block text-sm font-medium">"Handoff mode"</label>
                        <select id="wf-mode" name="handoff_mode" class=INPUT>
                            <option value="auto_escalation" selected=w.handoff_mode == "auto_escalation">"Automatic escalation"</option>
                            <option value="always_on" selected=w.handoff_mode == "always_on">"Always-on monitoring"</option>
                        </select>
                    </div>
                    <div>
                        <label for="wf-threshold" class="block text-sm font-medium">"Requests for a human before handoff"</label>
                        <input id="wf-threshold" name="escalation_threshold" type="number" min="1" max="20" value=w.escalation_threshold.to_string() class=INPUT
                            on:input=move |ev| threshold.set(event_target_value(&ev).parse().unwrap_or(1))/>
                    </div>
                </div>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="escalate_on_frustration" value="on" checked=check(w.escalate_on_frustration) class="h-4 w-4"
                    on:change=move |ev| on_frustration.set(event_target_checked(&ev))/>"Hand off at once when the visitor is frustrated"</label>
                <div>
                    <label for="wf-handoff" class="block text-sm font-medium">"Handoff message"</label>
                    <input id="wf-handoff" name="handoff_message" type="text" maxlength="500" value=w.handoff_message.clone() class=INPUT/>
                </div>
                <div class="flex items-start gap-2 text-sm">
                    <input type="checkbox" id="wf-silent" name="silent_handoff" value="on" checked=check(w.silent_handoff) aria-describedby="wf-silent-help" class="mt-0.5 h-4 w-4"/>
                    <div>
                        <label for="wf-silent">"Silent handoff"</label>
                        <p id="wf-silent-help" class="text-xs text-slate-500">"The customer is not told: no notice of the handover, no “joined the conversation”. Script one in the assistant's answers if you want one."</p>
                    </div>
                </div>
                <div>
                    <label for="wf-triggers" class="block text-sm font-medium">"Handoff triggers"</label>
                    <p id="wf-triggers-help" class="text-xs text-slate-500">"Phrases that hand over at once, whatever the count above. One intent a line, its phrases separated by commas; add "<code class="rounded bg-slate-100 px-1">"-> Group"</code>" to offer it only to that operator group. For example: "<code class="rounded bg-slate-100 px-1">"cancel, cancelling, close my account -> Retention"</code></p>
                    <textarea id="wf-triggers" name="handoff_triggers" rows="4" aria-describedby="wf-triggers-help" class=format!("{INPUT} font-mono")
                        on:input=move |ev| triggers.set(event_target_value(&ev))>{w.handoff_triggers.clone()}</textarea>
                </div>
                <div class="rounded-md border border-slate-200 bg-slate-50 p-3">
                    <label for="wf-try" class="block text-sm font-medium">"Try a customer's message"</label>
                    <input id="wf-try" type="text" placeholder="I'm cancelling my subscription" class=INPUT
                        prop:value=move || sample.get() on:input=move |ev| sample.set(event_target_value(&ev))/>
                    <p role="status" aria-live="polite" data-testid="handoff-verdict" class="mt-2 min-h-5 text-sm">
                        {move || verdict().map(|v| match v {
                            Ok((true, words)) => view! { <span class="font-medium text-amber-800">{words}</span> }.into_any(),
                            Ok((false, words)) => view! { <span class="text-slate-700">{words}</span> }.into_any(),
                            Err(why) => view! { <span class="text-red-700">{why}</span> }.into_any(),
                        })}
                    </p>
                </div>
            </fieldset>
            <fieldset class="space-y-3">
                <legend class="text-sm font-semibold">"Routing"</legend>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="live_routing" value="on" checked=check(w.live_routing) class="h-4 w-4"/>"Route conversations that need a person to live operators"</label>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="route_on_arrival" value="on" checked=check(w.route_on_arrival) class="h-4 w-4"/>"Offer every new conversation to an operator as soon as it arrives (the assistant answers while it waits)"</label>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="wf-routing" class="block text-sm font-medium">"Routing mode"</label>
                        <select id="wf-routing" name="routing_mode" class=INPUT>
                            <option value="assigned" selected=w.routing_mode == "assigned">"Assigned (least loaded first)"</option>
                            <option value="pooled" selected=w.routing_mode == "pooled">"Pooled (first to accept)"</option>
                        </select>
                    </div>
                    <div>
                        <label for="wf-accept" class="block text-sm font-medium">"Accept timeout (s)"</label>
                        <input id="wf-accept" name="accept_timeout_secs" type="number" min="5" max="3600" value=w.accept_timeout_secs.to_string() class=INPUT/>
                    </div>
                </div>
                <div>
                    <label for="wf-reassign" class="block text-sm font-medium">"Offer to someone else when the operator has not answered for (minutes)"</label>
                    <p id="wf-reassign-help" class="text-xs text-slate-500">"Counted from the customer's first unanswered message, or from the takeover. 0: never."</p>
                    <input id="wf-reassign" name="reassign_after_mins" type="number" min="0" max="1440" step="any" aria-describedby="wf-reassign-help"
                        value=crate::workflows::secs_to_minutes(w.reassign_after_secs) class=INPUT/>
                </div>
                <div>
                    <label for="wf-alert" class="block text-sm font-medium">"Alert supervisors when a conversation has waited with nobody live for (minutes)"</label>
                    <p id="wf-alert-help" class="text-xs text-slate-500">"In the console of every supervisor, with a sound and a desktop notification. 0: never."</p>
                    <input id="wf-alert" name="alert_after_mins" type="number" min="0" max="1440" step="any" aria-describedby="wf-alert-help"
                        value=crate::workflows::secs_to_minutes(w.alert_after_secs) class=INPUT/>
                </div>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="requires_qualification" value="on" checked=check(w.requires_qualification) class="h-4 w-4"/>"Operators need a qualification for this workflow"</label>
                <div>
                    <label for="wf-practice" class="block text-sm font-medium">"Practice scenario"</label>
                    <p id="wf-practice-help" class="text-xs text-slate-500">"What the scripted customer says when an operator practises this workflow, one message a line (at most 20). A reviewer reads the practice before granting the qualification."</p>
                    <textarea id="wf-practice" name="practice_script" rows="5" aria-describedby="wf-practice-help" class=INPUT>{w.practice_script.clone()}</textarea>
                </div>
            </fieldset>
            <fieldset class="space-y-3">
                <legend class="text-sm font-semibold">"Assistant"</legend>
                <div>
                    <label for="wf-greeting" class="block text-sm font-medium">"Greeting"</label>
                    <input id="wf-greeting" name="greeting" type="text" maxlength="500" value=w.greeting.clone() class=INPUT/>
                </div>
                <div>
                    <label for="wf-fallback" class="block text-sm font-medium">"Answer when it does not know"</label>
                    <input id="wf-fallback" name="fallback_answer" type="text" maxlength="500" value=w.fallback_answer.clone() class=INPUT/>
                </div>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="wf-provider" class="block text-sm font-medium">"AI provider"</label>
                        <select id="wf-provider" name="ai_provider" class=INPUT>
                            <option value="builtin" selected=w.ai_provider == "builtin">"Built-in (answers below)"</option>
                            <option value="openai" selected=w.ai_provider == "openai">"OpenAI-compatible API"</option>
                        </select>
                    </div>
                    <div>
                        <label for="wf-ai-timeout" class="block text-sm font-medium">"AI timeout (s)"</label>
                        <input id="wf-ai-timeout" name="ai_timeout_secs" type="number" min="1" max="300" value=w.ai_timeout_secs.to_string() class=INPUT/>
                    </div>
                    <div>
                        <label for="wf-base" class="block text-sm font-medium">"API base URL"</label>
                        <input id="wf-base" name="openai_base_url" type="url" placeholder="https://api.openai.com/v1" value=w.openai_base_url.clone().unwrap_or_default() class=INPUT/>
                    </div>
                    <div>
                        <label for="wf-model" class="block text-sm font-medium">"Model"</label>
                        <input id="wf-model" name="openai_model" type="text" value=w.openai_model.clone().unwrap_or_default() class=INPUT/>
                    </div>
                    <div>
                        <label for="wf-key" class="block text-sm font-medium">"API key"</label>
                        <input id="wf-key" name="openai_api_key" type="password" autocomplete="off"
                            prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev))
                            placeholder=if w.has_api_key { "A key is stored; type to replace it" } else { "No key stored" } class=INPUT/>
                    </div>
                    {w.has_api_key.then(|| view! {
                        <label class="flex items-end gap-2 pb-2 text-sm"><input type="checkbox" name="remove_api_key" value="on" class="h-4 w-4"/>"Remove the stored key"</label>
                    })}
                </div>
            </fieldset>
            {move || match update.value().get() {
                Some(Err(e)) => Some(view! { <ErrorPanel error=e/> }.into_any()),
                Some(Ok(_)) => Some(view! { <p role="status" class="text-sm text-emerald-700" data-testid="workflow-saved">"Workflow saved."</p> }.into_any()),
                None => None,
            }}
            <button type="submit" class="rounded-md bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">"Save workflow"</button>
        </ActionForm>
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="answers-heading">
            <h2 id="answers-heading" class="text-sm font-semibold">"What the built-in assistant knows"</h2>
            <ul class="mt-3 divide-y divide-slate-100" role="list" data-testid="answers">
                {w.answers.into_iter().map(|a| {
                    let answer_id = a.id;
                    view! {
                        <li class="flex items-start gap-3 py-2 text-sm">
                            <div class="min-w-0 flex-1">
                                <p class="font-medium">{a.question.clone()}</p>
                                <p class="text-slate-600">{a.answer.clone()}</p>
                            </div>
                            <button type="button" class="rounded-md px-2 py-1 text-sm text-red-700 hover:bg-red-50" aria-label=format!("Remove the answer to {}", a.question)
                                on:click=move |_| {
                                    leptos::task::spawn_local(async move {
                                        match delete_workflow_answer(id, answer_id).await {
                                            Ok(_) => answers_version.update(|v| *v += 1),
                                            Err(e) => answer_problem.set(Some(e.to_string())),
                                        }
                                    });
                                }>"Remove"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="mt-4 grid gap-3 sm:grid-cols-2" on:submit=move |ev| { ev.prevent_default(); add(); }>
                <div>
                    <label for="new-question" class="block text-xs font-medium text-slate-700">"Question"</label>
                    <input id="new-question" type="text" maxlength="500" class=INPUT prop:value=move || question.get() on:input=move |ev| question.set(event_target_value(&ev))/>
                </div>
                <div>
                    <label for="new-answer" class="block text-xs font-medium text-slate-700">"Answer"</label>
                    <input id="new-answer" type="text" maxlength="2000" class=INPUT prop:value=move || answer.get() on:input=move |ev| answer.set(event_target_value(&ev))/>
                </div>
                <div class="sm:col-span-2 flex items-center gap-3">
                    <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50">"Add answer"</button>
                    {move || answer_problem.get().map(|p| view! { <p role="alert" class="text-sm text-red-700">{p}</p> })}
                </div>
            </form>
        </section>
    }
}
