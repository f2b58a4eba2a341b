-- Custom SQL migration: the parts of a post's JSON that change only when their row is edited, stored on the row,
-- as migration 0022 did for the catalogue, so that GET /posts concatenates them instead of escaping every body,
-- name and title and formatting every timestamp of twenty posts (and the posts they share) on every read
-- (src/modules/posts/posts.list.ts). What changes without an edit of the row (a post's like, comment and share
-- counts, whether the reader likes it, whether the reader may see the linked event, the avatar URL's prefix) is
-- still computed by the read: a like's UPDATE of `like_count` names none of the columns below and fires nothing.
-- The shape is the API's `Post` (test/social/posts-json.test.ts compares it with the object path).
ALTER TABLE posts ADD COLUMN json_head text, ADD COLUMN json_tail text;
--> statement-breakpoint
COMMENT ON COLUMN posts.json_head IS 'The Post JSON from { to body (trigger posts_json_parts)';
--> statement-breakpoint
-- A post (or the post it shares): `json_head` (id, body), then author, event, shared_post, the counts and
-- liked_by_me, and `json_tail` (created_at, updated_at, the closing brace).
CREATE FUNCTION posts_json_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.json_head := '{"id":' || NEW.id || ',"body":' || api_json_text(NEW.body);
  NEW.json_tail := ',"created_at":' || api_json_time(NEW.created_at)
    || ',"updated_at":' || api_json_time(NEW.updated_at) || '}';
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER posts_json_parts BEFORE INSERT OR UPDATE OF body, created_at, updated_at ON posts
  FOR EACH ROW EXECUTE FUNCTION posts_json_parts();
--> statement-breakpoint
UPDATE posts SET body = body;
--> statement-breakpoint
ALTER TABLE users ADD COLUMN json_author_head text;
--> statement-breakpoint
COMMENT ON COLUMN users.json_author_head IS 'A post''s author JSON from { to "avatar_url": (trigger users_json_author)';
--> statement-breakpoint
-- A post's author (fewer fields than an event's organizer): id, username, display_name and the avatar_url key;
-- the read appends the avatar's URL and the closing brace.
CREATE FUNCTION users_json_author() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.json_author_head := '{"id":' || NEW.id || ',"username":' || api_json_text(NEW.username)
    || ',"display_name":' || api_json_text(NEW.display_name) || ',"avatar_url":';
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER users_json_author BEFORE INSERT OR UPDATE OF username, display_name ON users
  FOR EACH ROW EXECUTE FUNCTION users_json_author();
--> statement-breakpoint
UPDATE users SET username = username;
--> statement-breakpoint
ALTER TABLE events ADD COLUMN json_ref text;
--> statement-breakpoint
COMMENT ON COLUMN events.json_ref IS 'A post''s event JSON, {"id","title"} (trigger events_json_ref)';
--> statement-breakpoint
CREATE FUNCTION events_json_ref() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.json_ref := '{"id":' || NEW.id || ',"title":' || api_json_text(NEW.title) || '}';
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER events_json_ref BEFORE INSERT OR UPDATE OF title ON events
  FOR EACH ROW EXECUTE FUNCTION events_json_ref();
--> statement-breakpoint
UPDATE events SET title = title;
