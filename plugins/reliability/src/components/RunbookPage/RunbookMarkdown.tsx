import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';
import Box from '@mui/material/Box';
import { CopyTextButton, Link } from '@backstage/core-components';
import { remarkSitePaths } from './sitePaths';

/**
 * Runbook Markdown for 3 a.m.: GitHub-flavoured, every code block (commands, PromQL) with a copy button,
 * external links opening in a new tab, and portal paths written as text (`/catalog/default/component/checkout`) made
 * links that open in the portal.
 */
export function RunbookMarkdown({ markdown }: { markdown: string }) {
  return (
    <Box
      sx={{
        '& pre': { m: 0 },
        '& table': { borderCollapse: 'collapse' },
        '& td, & th': { border: 1, borderColor: 'divider', px: 1 },
      }}
    >
      <ReactMarkdown
        remarkPlugins={[remarkGfm, remarkSitePaths]}
        components={{
          a: ({ node: _node, children, ...props }) =>
            props.href?.startsWith('/') && !props.href.startsWith('//') ? (
              <Link to={props.href} underline="always">
                {children}
              </Link>
            ) : (
              <a
                {...props}
                target={
                  /^https?:/.test(props.href ?? '') ? '_blank' : undefined
                }
                rel="noopener noreferrer"
              >
                {children}
              </a>
            ),
          code: ({ node: _node, inline, className, children }) => {
            const text = String(children).replace(/\n$/, '');
            if (inline) return <code className={className}>{children}</code>;
            return (
              <Box
                data-testid="runbook-code"
                sx={{
                  position: 'relative',
                  bgcolor: 'action.hover',
                  borderRadius: 1,
                  p: 1.5,
                  pr: 6,
                  my: 1,
                  fontFamily: 'monospace',
                  fontSize: 13,
                  whiteSpace: 'pre-wrap',
                }}
              >
                <Box sx={{ position: 'absolute', top: 2, right: 2 }}>
                  <CopyTextButton
                    text={text}
                    tooltipText="Copied"
                    aria-label="copy"
                  />
                </Box>
                <code className={className}>{text}</code>
              </Box>
            );
          },
        }}
      >
        {markdown}
      </ReactMarkdown>
    </Box>
  );
}
