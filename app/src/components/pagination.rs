//! GOV.UK pagination: previous and next links, the first and last pages, the
//! current one and its neighbours, with ellipses for the pages between.
//! Plain links, so it works without JavaScript.

use leptos::prelude::*;

/// The page numbers to show for page `current` of `pages`, in order, with
/// `None` where pages are left out.
pub fn pages_shown(current: usize, pages: usize) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    for page in 1..=pages {
        let near = page.abs_diff(current) <= 1;
        if page == 1 || page == pages || near {
            out.push(Some(page));
        } else if out.last().is_some_and(|p| p.is_some()) {
            out.push(None);
        }
    }
    out
}

/// The links to every page of a list that holds `pages` (nothing when there
/// is one); `href` gives a page's address.
#[component]
pub fn Pagination(
    page: usize,
    pages: usize,
    href: impl Fn(usize) -> String + 'static,
) -> impl IntoView {
    (pages > 1).then(|| {
        let previous = (page > 1).then(|| {
            view! {
                <div class="govuk-pagination__prev">
                    <a class="govuk-link govuk-pagination__link" href=href(page - 1) rel="prev">
                        <svg class="govuk-pagination__icon govuk-pagination__icon--prev" xmlns="http://www.w3.org/2000/svg"
                            height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13">
                            <path d="m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"></path>
                        </svg>
                        <span class="govuk-pagination__link-title">"Previous"<span class="govuk-visually-hidden">" page"</span></span>
                    </a>
                </div>
            }
        });
        let next = (page < pages).then(|| {
            view! {
                <div class="govuk-pagination__next">
                    <a class="govuk-link govuk-pagination__link" href=href(page + 1) rel="next">
                        <span class="govuk-pagination__link-title">"Next"<span class="govuk-visually-hidden">" page"</span></span>
                        <svg class="govuk-pagination__icon govuk-pagination__icon--next" xmlns="http://www.w3.org/2000/svg"
                            height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13">
                            <path d="m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path>
                        </svg>
                    </a>
                </div>
            }
        });
        let items = pages_shown(page, pages)
            .into_iter()
            .map(|shown| match shown {
                Some(n) if n == page => view! {
                    <li class="govuk-pagination__item govuk-pagination__item--current">
                        <a class="govuk-link govuk-pagination__link" href=href(n)
                            aria-label=format!("Page {n}") aria-current="page">{n}</a>
                    </li>
                }
                .into_any(),
                Some(n) => view! {
                    <li class="govuk-pagination__item">
                        <a class="govuk-link govuk-pagination__link" href=href(n)
                            aria-label=format!("Page {n}")>{n}</a>
                    </li>
                }
                .into_any(),
                None => view! { <li class="govuk-pagination__item govuk-pagination__item--ellipses">"⋯"</li> }
                    .into_any(),
            })
            .collect_view();
        view! {
            <nav class="govuk-pagination" aria-label="Pagination">
                {previous}
                <ul class="govuk-pagination__list">{items}</ul>
                {next}
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_last_and_neighbouring_pages_are_shown() {
        assert_eq!(pages_shown(1, 1), vec![Some(1)]);
        assert_eq!(pages_shown(1, 3), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(pages_shown(1, 16), vec![Some(1), Some(2), None, Some(16)]);
        assert_eq!(
            pages_shown(8, 16),
            vec![Some(1), None, Some(7), Some(8), Some(9), None, Some(16)]
        );
        assert_eq!(
            pages_shown(3, 16),
            vec![Some(1), Some(2), Some(3), Some(4), None, Some(16)]
        );
        assert_eq!(pages_shown(16, 16), vec![Some(1), None, Some(15), Some(16)]);
    }
}
