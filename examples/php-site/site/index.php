<?php
// A tiny wiki: pages are text files under pages/, edited through a form.
$name = preg_replace('/[^A-Za-z0-9_]/', '', $_GET['page'] ?? 'FrontPage') ?: 'FrontPage';
$file = __DIR__ . "/pages/$name.txt";
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    file_put_contents($file, $_POST['text'] ?? '');
    header("Location: ?page=$name");
    exit;
}
$text = is_file($file) ? file_get_contents($file) : "This page is empty. Edit it below.";
$html = preg_replace('/\b([A-Z][a-z]+[A-Z][A-Za-z]+)\b/', '<a href="?page=$1">$1</a>',
                     htmlspecialchars($text));
?>
<!doctype html>
<title><?= htmlspecialchars($name) ?></title>
<h1><?= htmlspecialchars($name) ?></h1>
<div><?= nl2br($html) ?></div>
<form method="post"><textarea name="text" rows="10" cols="80"><?= htmlspecialchars($text) ?></textarea>
<br><button>Save</button></form>
