-- Custom SQL migration: triggers keep posts.like_count, comment_count and share_count exact.
-- They live in the database because cascades (deleting a user or a post) remove likes, comments and
-- shares without passing through application code. Each change is one atomic `x = x ± 1` on the row.
CREATE FUNCTION posts_like_count_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE posts SET like_count = like_count + 1 WHERE id = NEW.post_id;
  ELSE
    UPDATE posts SET like_count = like_count - 1 WHERE id = OLD.post_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER post_likes_count AFTER INSERT OR DELETE ON post_likes
  FOR EACH ROW EXECUTE FUNCTION posts_like_count_sync();
--> statement-breakpoint
CREATE FUNCTION posts_comment_count_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
  ELSE
    UPDATE posts SET comment_count = comment_count - 1 WHERE id = OLD.post_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER comments_count AFTER INSERT OR DELETE ON comments
  FOR EACH ROW EXECUTE FUNCTION posts_comment_count_sync();
--> statement-breakpoint
CREATE FUNCTION posts_share_count_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.shared_post_id IS NOT NULL THEN
    UPDATE posts SET share_count = share_count - 1 WHERE id = OLD.shared_post_id;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.shared_post_id IS NOT NULL THEN
    UPDATE posts SET share_count = share_count + 1 WHERE id = NEW.shared_post_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER posts_share_count AFTER INSERT OR DELETE ON posts
  FOR EACH ROW EXECUTE FUNCTION posts_share_count_sync();
--> statement-breakpoint
CREATE TRIGGER posts_share_count_update AFTER UPDATE OF shared_post_id ON posts
  FOR EACH ROW WHEN (OLD.shared_post_id IS DISTINCT FROM NEW.shared_post_id)
  EXECUTE FUNCTION posts_share_count_sync();
