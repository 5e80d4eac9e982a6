// The app's stage pipelines of one module (the path bar, board links, timeline labels).
import { useQuery } from '@tanstack/react-query';
import { flows, type Flow } from '../../api/work';

export function useFlows(app: string, module: string) {
  return useQuery({
    queryKey: ['flows', app],
    queryFn: () => flows.list(app),
    staleTime: 60_000,
    select: (fs: Flow[]) => fs.filter((f) => f.module === module),
  });
}
