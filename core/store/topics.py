"""Topics in the store: the clusters of articles found for one report date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, delete, insert, select

from core.models import Article, Topic
from core.store.articles import article_from_row, ids_by_url
from core.store.tables import ArticleRow, TopicArticleRow, TopicRow


def save_topics(conn: Connection, day: date, topics: Sequence[Topic]) -> None:
    """Replace the topics of ``day``. Articles are linked by id, or by URL when they have none;
    articles that are not stored are left out."""
    conn.execute(delete(TopicRow).where(TopicRow.report_date == day))
    if not topics:
        return
    rows = [{"key": t.key, "report_date": day, "terms": list(t.terms)} for t in topics]
    statement = insert(TopicRow).returning(TopicRow.id, sort_by_parameter_order=True)
    topic_ids = conn.execute(statement, rows).scalars().all()
    by_url = ids_by_url(conn, [a.url for t in topics for a in t.articles if a.id is None])
    members = [
        {"topic_id": topic_id, "article_id": article_id, "position": position}
        for topic_id, topic in zip(topic_ids, topics, strict=True)
        for position, article in enumerate(topic.articles)
        if (article_id := article.id if article.id is not None else by_url.get(article.url)) is not None
    ]
    if members:
        conn.execute(insert(TopicArticleRow), members)


def topics_of(conn: Connection, day: date) -> list[Topic]:
    """The topics saved for ``day``, in the order they were saved, lead article first."""
    topics = conn.execute(
        select(TopicRow.id, TopicRow.key, TopicRow.terms)
        .where(TopicRow.report_date == day)
        .order_by(TopicRow.id)
    ).all()
    query = (
        select(TopicArticleRow.topic_id, ArticleRow)
        .join(ArticleRow, ArticleRow.id == TopicArticleRow.article_id)
        .join(TopicRow, TopicRow.id == TopicArticleRow.topic_id)
        .where(TopicRow.report_date == day)
        .order_by(TopicArticleRow.topic_id, TopicArticleRow.position)
    )
    members: dict[int, list[Article]] = {topic_id: [] for topic_id, _key, _terms in topics}
    for row in conn.execute(query).mappings():
        members[row["topic_id"]].append(article_from_row(row))
    return [Topic(key, tuple(members[id_]), tuple(terms)) for id_, key, terms in topics]
