//! A message in the conversation, and its files.

use leptos::prelude::*;

use crate::conversation::AttachmentView;
use crate::events::{Delivery, MessageView, SenderKind};
use crate::format;
use crate::lifecycle::DeliveryStatus;
use crate::time::format_clock;

/// Files attached to a message: images as thumbnails, the rest as links (a visitor's carry
/// signed links), a deleted one by its name only.
#[component]
pub fn Attachments(files: Vec<AttachmentView>, #[prop(optional)] dark: bool) -> impl IntoView {
    view! {
        <div class="mt-1 flex flex-wrap gap-2" data-testid="attachments">
            {files.into_iter().map(|f| {
                let href = f.path();
                if f.removed {
                    view! {
                        <span data-testid="attachment-removed" title="Deleted after the workspace's retention period"
                            class=if dark { "inline-flex items-center gap-1 rounded-md bg-slate-700 px-2 py-1 text-xs text-slate-200" } else { "inline-flex items-center gap-1 rounded-md border border-dashed border-slate-300 bg-white px-2 py-1 text-xs text-slate-600" }>
                            {format!("📎 {} (deleted)", f.file_name)}
                        </span>
                    }.into_any()
                } else if f.is_image() {
                    let src = href.clone();
                    view! {
                        <a href=href target="_blank" rel="noopener" class="block overflow-hidden rounded-md border border-slate-200 bg-white" title=f.file_name.clone()>
                            <img src=src alt=f.file_name.clone() class="h-28 max-w-[14rem] object-cover" loading="lazy"/>
                        </a>
                    }.into_any()
                } else {
                    view! {
                        <a href=href target="_blank" rel="noopener" data-testid="attachment-link"
                            class=if dark { "inline-flex items-center gap-1 rounded-md bg-slate-700 px-2 py-1 text-xs text-white underline" } else { "inline-flex items-center gap-1 rounded-md border border-slate-200 bg-white px-2 py-1 text-xs text-slate-800 underline" }>
                            {format!("📎 {} ({})", f.file_name, f.size_label())}
                        </a>
                    }.into_any()
                }
            }).collect_view()}
        </div>
    }
}

/// Files uploaded for the message being written, each removable, and how many are still
/// uploading. Shared by the composer and the widget.
#[component]
pub fn PendingFiles(
    files: RwSignal<Vec<AttachmentView>>,
    uploading: RwSignal<u32>,
    class: &'static str,
) -> impl IntoView {
    view! {
        {move || (!files.with(Vec::is_empty) || uploading.get() > 0).then(|| view! {
            <ul class=class aria-label="Files to send" data-testid="pending-files">
                {files.get().into_iter().map(|f| {
                    let id = f.id;
                    view! {
                        <li class="flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs">
                            {format!("{} ({})", f.file_name, f.size_label())}
                            <button type="button" class="text-slate-500 hover:text-slate-900" aria-label=format!("Remove {}", f.file_name)
                                on:click=move |_| files.update(|l| l.retain(|x| x.id != id))>"×"</button>
                        </li>
                    }
                }).collect_view()}
                {move || (uploading.get() > 0).then(|| view! { <li class="text-xs text-slate-500" role="status">"Uploading…"</li> })}
            </ul>
        })}
    }
}

/// How far a reply sent through a provider got: a clock while it waits, one tick sent, two
/// delivered, two blue read; a failure in words with the provider's code.
#[component]
pub fn DeliveryTick(delivery: Option<Delivery>) -> impl IntoView {
    delivery.map(|d| {
        let label = d.status.label();
        let (mark, class) = match d.status {
            DeliveryStatus::Pending => ("\u{1F553}", "text-slate-500"),
            DeliveryStatus::Accepted => ("\u{2713}", "text-slate-400"),
            DeliveryStatus::Sent => ("\u{2713}", "text-slate-600"),
            DeliveryStatus::Delivered => ("\u{2713}\u{2713}", "text-slate-600"),
            DeliveryStatus::Read => ("\u{2713}\u{2713}", "text-sky-600"),
            DeliveryStatus::Failed => ("\u{26A0}", "text-red-700"),
        };
        let failed = d.status == DeliveryStatus::Failed;
        let words = match (&d.error, failed) {
            (Some(e), true) => format!("{label}: {e}"),
            _ => label.to_string(),
        };
        let title = words.clone();
        view! {
            <span class=format!("ml-1 {class}") data-testid="delivery" data-status=d.status.as_str() title=title>
                <span aria-hidden="true">{mark}</span>
                <span class=if failed { "ml-1" } else { "sr-only" }>{words}</span>
            </span>
        }
    })
}

/// One message of the thread as the team sees it.
#[component]
pub fn Bubble(message: MessageView) -> impl IntoView {
    let time = format_clock(message.created_at);
    let files = (!message.attachments.is_empty()).then(|| message.attachments.clone());
    let body = (!message.body.is_empty()).then(|| message.body.clone());
    if message.internal {
        let author = if message.sender_kind == SenderKind::Operator {
            format!("Note by {}", message.sender_name)
        } else {
            "Only your team sees this".to_string()
        };
        return view! {
            <div class="mx-auto max-w-[80%] rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-950" data-testid="message" data-sender="internal">
                <p class="mb-1 text-[10px] font-semibold uppercase tracking-wide text-amber-800">{format!("{author} · {time}")}</p>
                {body.map(|b| view! { <div class="space-y-1 break-words">{format::render(&b, "underline")}</div> })}
                {files.map(|f| view! { <Attachments files=f/> })}
            </div>
        }
        .into_any();
    }
    match message.sender_kind {
        SenderKind::System => view! {
            <p class="mx-auto max-w-[80%] text-center text-xs text-slate-600" data-testid="message" data-sender="system">{format!("{} · {time}", message.body)}<DeliveryTick delivery=message.delivery/></p>
        }
        .into_any(),
        SenderKind::Operator => view! {
            <div class="flex flex-col items-end" data-testid="message" data-sender="operator">
                <p class="mb-1 text-[11px] font-medium text-slate-600">{message.sender_name}</p>
                {body.map(|b| view! { <div class="max-w-[70%] space-y-1 break-words rounded-2xl rounded-br-sm bg-slate-900 px-3 py-2 text-sm text-white" data-testid="message-body">{format::render(&b, "underline text-sky-200")}</div> })}
                {files.map(|f| view! { <Attachments files=f dark=true/> })}
                <p class="mt-1 text-[11px] text-slate-500">{time}<DeliveryTick delivery=message.delivery/></p>
            </div>
        }
        .into_any(),
        kind => {
            let ai = kind == SenderKind::Ai;
            let label = if ai { format!("{} · AI", message.sender_name) } else { message.sender_name.clone() };
            view! {
                <div class="flex flex-col items-start" data-testid="message" data-sender=if ai { "ai" } else { "contact" }>
                    <p class="mb-1 text-[11px] font-medium text-slate-600">{label}</p>
                    {body.map(|b| view! {
                        <div class=if ai { "max-w-[70%] space-y-1 break-words rounded-2xl rounded-bl-sm border border-sky-200 bg-sky-50 px-3 py-2 text-sm" } else { "max-w-[70%] space-y-1 break-words rounded-2xl rounded-bl-sm bg-white px-3 py-2 text-sm shadow-sm" } data-testid="message-body">
                            {format::render(&b, "text-sky-700 underline")}
                        </div>
                    })}
                    {files.map(|f| view! { <Attachments files=f/> })}
                    <p class="mt-1 text-[11px] text-slate-500">{time}<DeliveryTick delivery=message.delivery/></p>
                </div>
            }
            .into_any()
        }
    }
}
