import { NAME } from "../ground/version.js";

/** The privacy page GPT Builder asks for when Actions are public-facing. */
export function privacyText(): string {
  return `${NAME} — privacy policy / 隐私政策

English
This server runs on the user's own computer and serves only that user's private Custom GPT.
- What it receives: the requests the user's GPT sends (file paths, file contents to write, search text, commands).
- What it stores: nothing leaves the computer. A local audit log (action name, time, outcome, paths or command text; never file contents or the token) is kept in the tool's private config folder and rotated by size.
- Who can use it: only callers with the user's private bearer token. The user can revoke access at any time with \`${NAME} channel revoke\`, and stop it by stopping the server or tunnel.
- Third parties: requests travel through the tunnel provider the user chose (for example Cloudflare) and OpenAI's ChatGPT service, under their own policies. This server sends no data anywhere else and has no analytics.

中文
本服务运行在用户自己的电脑上,只为该用户的私有 Custom GPT 提供服务。
- 接收的内容:用户的 GPT 发来的请求(文件路径、要写入的文件内容、搜索文本、命令)。
- 存储的内容:数据不离开这台电脑。工具的私有配置目录中保存一份本地审计日志(Action 名称、时间、结果、路径或命令文本;不含文件内容,也不含 token),按大小轮转。
- 谁能使用:只有持有用户私有 bearer token 的调用方。用户可随时用 \`${NAME} channel revoke\` 撤销访问,或停止服务/隧道来停止暴露。
- 第三方:请求会经过用户选择的隧道服务商(如 Cloudflare)和 OpenAI 的 ChatGPT 服务,适用它们各自的政策。本服务不向任何其他地方发送数据,也没有统计分析。
`;
}
